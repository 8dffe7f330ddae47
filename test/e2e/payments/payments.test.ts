import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpReceiptIssuer, receiptCredentials } from '../../../functions/payments/adapters/receipts-http.ts';
import { genericSignature } from '../../../functions/payments/channels/generic.ts';
import { dynamoPaymentsStore } from '../../../functions/payments/dynamodb/store.ts';
import { LOCAL_CREDENTIALS } from '../../../local/aws-clients.ts';
import type { ResolvedEnvironment } from '../../../local/runtime.ts';
import { dgovInProcess } from '../../support/cli-in-process.ts';
import { call, target } from '../../support/target.ts';

const embedded = target.name === 'embedded' && Boolean(target.apiUrl);

// In this process (test/support/cli-in-process.ts): the checks here are its output and exit codes.
const dgov = (...args: string[]) => dgovInProcess(args, { DGOV_LOCAL_DIR: target.localDir ?? '' });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
async function tokenOf(clientId: string, secret: string) {
  const answer = await call('/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'payments:orders' }).toString(),
  });
  expect(answer.status).toBe(200);
  return String(answer.body.access_token);
}

const receiptsCredentials = receiptCredentials(
  `file:${join(target.localDir ?? '', 'demo-clients.json')}#payments-receipts`,
  () => {
    throw new Error('the embedded target keeps the receipt client in a file');
  },
);
async function receiptsToken() {
  const { clientId, clientSecret } = await receiptsCredentials();
  const answer = await call('/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, clientSecret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'licences:issue' }).toString(),
  });
  expect(answer.status, answer.text).toBe(200);
  return String(answer.body.access_token);
}

describe.skipIf(!embedded)('payments over the local gateway', () => {
  const channel = `e2e-${randomBytes(3).toString('hex')}`;
  let secret: string;
  let market: string;
  let police: string;
  let env: ResolvedEnvironment;

  beforeAll(async () => {
    env = JSON.parse(readFileSync(join(target.localDir!, 'env.json'), 'utf8')) as ResolvedEnvironment;
    const created = await dgov('channels', 'create', '--id', channel, '--adapter', 'generic', '--json');
    expect(created.status, created.stderr).toBe(0);
    secret = (JSON.parse(created.stdout) as { secret: string }).secret;
    const demo = JSON.parse(readFileSync(join(target.localDir!, 'demo-clients.json'), 'utf8')) as Record<
      string,
      { client_secret: string }
    >;
    market = await tokenOf('demo-department', demo['demo-department']!.client_secret);
    const policeId = `e2e-police-${randomBytes(3).toString('hex')}`;
    const client = await dgov(
      'clients',
      'create',
      '--id',
      policeId,
      '--kind',
      'confidential',
      '--scopes',
      'payments:orders',
      '--department',
      'dept-police',
      '--json',
    );
    expect(client.status, client.stderr).toBe(0);
    police = await tokenOf(policeId, (JSON.parse(client.stdout) as { client_secret: string }).client_secret);
  });

  const newOrder = async (amountFen = 5_000) => {
    const answer = await call('/payments/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${market}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        itemCode: 'market-registration-fee',
        payer: { kind: 'citizen', id: '11010519491231002X', name: '张三' },
        amountFen,
        description: '企业登记费',
      }),
    });
    expect(answer.status, answer.text).toBe(201);
    return answer.body as { orderId: string; paymentCode: string };
  };
  const callback = (body: object, options: { secret?: string; timestamp?: number } = {}) => {
    const raw = JSON.stringify(body);
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    return call(`/payments/callbacks/${channel}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-dgov-timestamp': timestamp,
        'x-dgov-signature': `v1=${genericSignature(options.secret ?? secret, timestamp, Buffer.from(raw))}`,
      },
      body: raw,
    });
  };

  /** The receipt the settlement consumer records on the order (asynchronously, through the FIFO queue). */
  const receiptOf = async (orderId: string) => {
    const read = () => call(`/payments/orders/${orderId}`, { headers: { authorization: `Bearer ${market}` } });
    let shown = (await read()).body as { receiptId?: string };
    for (const started = Date.now(); !shown.receiptId && Date.now() - started < 30_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      shown = (await read()).body as { receiptId?: string };
    }
    expect(shown.receiptId, `the settlement consumer recorded no receipt on ${orderId} within 30 s`).toMatch(/\S/);
    return shown.receiptId!;
  };

  it('lists the items publicly and refuses an item the department may not collect', async () => {
    const items = await call('/payments/items');
    expect(items.status).toBe(200);
    expect(JSON.stringify(items.body)).toContain('market-registration-fee');
    const refused = await call('/payments/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${market}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        itemCode: 'police-certificate-fee',
        payer: { kind: 'citizen', id: '11010519491231002X', name: '张三' },
        amountFen: 100,
        description: 'x',
      }),
    });
    expect(refused.status).toBe(403);
  });

  it('50 concurrent deliveries of one callback: all 200 alike, one PAID transition, one transaction recorded, then one receipt licence', async () => {
    const order = await newOrder();
    const body = {
      channelTxnId: `T-${order.paymentCode}`,
      paymentCode: order.paymentCode,
      amountFen: 5_000,
      currency: 'CNY',
      status: 'SUCCESS',
      paidAt: new Date().toISOString(),
    };
    const answers = await Promise.all(Array.from({ length: 50 }, () => callback(body)));
    expect(new Set(answers.map((answer) => `${answer.status} ${answer.text}`))).toEqual(
      new Set(['200 {"acknowledged":true,"orderStatus":"PAID"}']),
    );
    const read = await call(`/payments/orders/${order.orderId}`, { headers: { authorization: `Bearer ${market}` } });
    expect(read.body).toMatchObject({ status: 'PAID', channel });
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: env.region, endpoint: env.endpoints.dynamodb, credentials: LOCAL_CREDENTIALS }),
    );
    const items = await documents.send(
      new ScanCommand({
        TableName: env.tables.paymentsTable!,
        FilterExpression: 'begins_with(pk, :txn)',
        ExpressionAttributeValues: { ':txn': `txn#${channel}#payment#T-${order.paymentCode}` },
      }),
    );
    expect(items.Items).toHaveLength(1);
    // Another department, and an attack on the signature, change nothing.
    expect(
      (await call(`/payments/orders/${order.orderId}`, { headers: { authorization: `Bearer ${police}` } })).status,
    ).toBe(403);
    expect((await callback({ ...body, channelTxnId: 'forged' }, { secret: 'x'.repeat(43) })).status).toBe(401);
    expect((await call('/payments/callbacks/no-such-channel', { method: 'POST', body: '{}' })).status).toBe(404);

    // Then, through the payment.settled FIFO queue and the settlement consumer: one receipt licence.
    const shown = { receiptId: await receiptOf(order.orderId) };
    const finance = { authorization: `Bearer ${await receiptsToken()}` };
    const licence = await call(`/licences/${shown.receiptId}`, { headers: finance });
    expect(licence.status, licence.text).toBe(200);
    expect(licence.body).toMatchObject({
      licenceId: shown.receiptId,
      status: 'valid',
      document: {
        type: 'payment-receipt',
        matterId: order.orderId,
        issuer: { department: 'dept-finance' },
        data: { orderId: order.orderId, paymentCode: order.paymentCode, amountFen: 5_000, currency: 'CNY', channel },
      },
    });
    const verdict = await call('/licences/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ licenceId: shown.receiptId }),
    });
    expect(verdict.body).toMatchObject({ valid: true });
    // Issuing again as the consumer does (same client, same request) answers the same licence,
    // and the licences index holds one licence for the matter.
    const stored = await dynamoPaymentsStore(documents, env.tables.paymentsTable!).order(order.orderId);
    const again = await httpReceiptIssuer({ apiUrl: target.apiUrl!, credentials: receiptsCredentials }).issue(stored!);
    expect(again).toEqual({ receiptId: shown.receiptId });
    const matters = await documents.send(
      new ScanCommand({
        TableName: env.tables.licencesTable!,
        FilterExpression: 'begins_with(pk, :licence) AND matterId = :order',
        ExpressionAttributeValues: { ':licence': 'LICENCE#', ':order': order.orderId },
      }),
    );
    expect(matters.Items?.map((item) => item.licenceId)).toEqual([shown.receiptId]);
  });

  it('reconciles a statement put in the statements bucket; dgov payments reconcile shows it', async () => {
    const paid = await newOrder(700);
    const unpaid = await newOrder(800);
    const paidAt = new Date().toISOString();
    await callback({
      channelTxnId: `S-${paid.paymentCode}`,
      paymentCode: paid.paymentCode,
      amountFen: 700,
      currency: 'CNY',
      status: 'SUCCESS',
      paidAt,
    });
    const date = new Date(Date.parse(paidAt) + 8 * 3_600_000).toISOString().slice(0, 10);
    const csv = [
      'channelTxnId,paymentCode,amountFen,currency,status,paidAt',
      `S-${paid.paymentCode},${paid.paymentCode},700,CNY,SUCCESS,${paidAt}`,
      `S-${unpaid.paymentCode},${unpaid.paymentCode},800,CNY,SUCCESS,${paidAt}`,
    ].join('\n');
    const s3 = new S3Client({
      region: env.region,
      endpoint: env.endpoints.s3,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: env.buckets.paymentsStatements!,
        Key: `statements/${channel}/${date}.csv`,
        Body: csv,
      }),
    );
    let shown = await dgov('payments', 'reconcile', '--channel', channel, '--date', date, '--json');
    for (const started = Date.now(); shown.status !== 0 && Date.now() - started < 20_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      shown = await dgov('payments', 'reconcile', '--channel', channel, '--date', date, '--json');
    }
    expect(shown.status, shown.stderr).toBe(0);
    const report = JSON.parse(shown.stdout);
    expect(report.matched.map((line: { orderId: string }) => line.orderId)).toEqual([paid.orderId]);
    expect(report.notPaidHere).toMatchObject([{ paymentCode: unpaid.paymentCode, repaired: true }]);
    const table = await dgov('payments', 'reconcile', '--channel', channel, '--date', date);
    expect(table.stdout).toContain('repaired: now PAID');
    const read = await call(`/payments/orders/${unpaid.orderId}`, { headers: { authorization: `Bearer ${market}` } });
    expect(read.body).toMatchObject({ status: 'PAID' });
    // A repaired order is settled like a paid one: its receipt follows through the same queue.
    const receipt = await call('/licences/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ licenceId: await receiptOf(unpaid.orderId) }),
    });
    expect(receipt.body).toMatchObject({ valid: true });
  });
});
