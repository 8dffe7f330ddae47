import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genericSignature } from '../../../functions/payments/channels/generic.ts';
import { callbackRoute } from '../../../functions/payments/contract.ts';
import { dynamoPaymentsStore, flagsOn, PAID_INDEX } from '../../../functions/payments/dynamodb/store.ts';
import type { SettledEvent } from '../../../functions/payments/model.ts';
import type { PaymentsDeps } from '../../../functions/payments/ports.ts';
import { receiveCallback } from '../../../functions/payments/use-cases/callback.ts';
import { createOrder } from '../../../functions/payments/use-cases/orders.ts';
import { LOCAL_CREDENTIALS } from '../../../local/aws-clients.ts';
import { DynamoDbLocal } from '../../../local/embedded-aws.ts';
import { freePort } from '../../../local/ports.ts';
import { failoverDocumentClient } from '../../../shared/aws/failover.ts';
import { type HttpResult, httpHandler } from '../../../shared/http.ts';

/**
 * The payments store on a DynamoDB Local of this file's own (it is frozen with SIGSTOP here, as
 * test/integration/timeouts.test.ts does): the conditional writes under concurrency, and a callback
 * while DynamoDB hangs → 503 with Retry-After and nothing half-written.
 */
const REGION = 'cn-north-1';
const TABLE = 'dgov-test-payments';
const SECRET = 'integration-secret-0123456789abcdef0123456789';
let dynamodb: DynamoDbLocal;
let pid: number;
let frozen = false;

beforeAll(async () => {
  dynamodb = new DynamoDbLocal({ dynamodbPort: await freePort() });
  await dynamodb.start();
  pid = (dynamodb as unknown as { process: ChildProcess }).process.pid!;
  const client = new DynamoDBClient({ region: REGION, endpoint: dynamodb.endpoint, credentials: LOCAL_CREDENTIALS });
  const attribute = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [attribute('pk'), attribute('sk'), attribute('paidKey'), attribute('paidSort')],
      GlobalSecondaryIndexes: [
        {
          IndexName: PAID_INDEX,
          KeySchema: [
            { AttributeName: 'paidKey', KeyType: 'HASH' },
            { AttributeName: 'paidSort', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});
afterAll(async () => {
  if (frozen) process.kill(pid, 'SIGCONT');
  await dynamodb?.stop();
});

function world() {
  const documents = failoverDocumentClient({
    env: { AWS_REGION: REGION, AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint },
    clientConfig: { region: REGION, endpoint: dynamodb.endpoint, credentials: LOCAL_CREDENTIALS },
  });
  const published: SettledEvent[] = [];
  const deps: PaymentsDeps & { channels: PaymentsDeps extends never ? never : (c: string) => Promise<never> } = {
    store: dynamoPaymentsStore(documents, TABLE),
    publish: async (event) => {
      if (!published.some((known) => known.orderId === event.orderId)) published.push(event);
    },
    audit: async (input) => ({
      ...input,
      eventId: input.eventId ?? 'x',
      time: new Date().toISOString(),
      region: REGION,
    }),
    now: () => new Date(),
    channels: (async (channel: string) =>
      channel === 'bank' ? { channel, adapter: 'generic', secret: SECRET } : undefined) as never,
  };
  return { documents, deps, published };
}

const newOrder = (deps: PaymentsDeps) =>
  createOrder(
    {
      itemCode: 'market-registration-fee',
      payer: { kind: 'citizen', id: '11010519491231002X', name: '张三' },
      amountFen: 880,
      description: 'x',
    },
    { clientId: 'c', sub: 'c', department: 'dept-market' },
    { maxAmountFen: 1_000_000, orderTtlMinutes: 60 },
    deps,
    'r',
  );

const callbackEvent = (paymentCode: string, n: number) => {
  const body = JSON.stringify({
    channelTxnId: `T-${paymentCode}`,
    paymentCode,
    amountFen: 880,
    currency: 'CNY',
    status: 'SUCCESS',
    paidAt: new Date().toISOString(),
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    version: '2.0',
    routeKey: 'POST /payments/callbacks/{channel}',
    rawPath: '/payments/callbacks/bank',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'x-request-id': `payments-${n}`,
      'x-dgov-timestamp': timestamp,
      'x-dgov-signature': `v1=${genericSignature(SECRET, timestamp, Buffer.from(body))}`,
    },
    pathParameters: { channel: 'bank' },
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: `gw-${n}`,
      http: { method: 'POST', path: '/payments/callbacks/bank', sourceIp: '127.0.0.1' },
    },
  } as unknown as APIGatewayProxyEventV2;
};
/** The callback route over the store under test, as the payments handler serves it (channel `bank`). */
const callbackHandler = (deps: Parameters<typeof receiveCallback>[2]) =>
  httpHandler(callbackRoute, async (request) => {
    const body = Buffer.from(request.raw.body ?? '');
    const answer = await receiveCallback('bank', { headers: request.headers, body }, deps, {
      requestId: request.requestId,
    });
    return { statusCode: answer.statusCode, headers: { 'content-type': answer.contentType }, body: answer.body };
  });
const context = { awsRequestId: 'p', functionName: 'payments', getRemainingTimeInMillis: () => 10_000 } as Context;

describe('the DynamoDB payments store', () => {
  it('20 concurrent deliveries: one transaction record, one PAID order, every answer the same; the paid index finds it', async () => {
    const { deps, published } = world();
    const order = await newOrder(deps);
    const handler = callbackHandler(deps);
    const event = callbackEvent(order.paymentCode, 0);
    const answers = (await Promise.all(Array.from({ length: 20 }, () => handler(event, context)))) as HttpResult[];
    expect(new Set(answers.map((answer) => `${answer.statusCode} ${answer.body}`))).toEqual(
      new Set(['200 {"acknowledged":true,"orderStatus":"PAID"}']),
    );
    expect((await deps.store.order(order.orderId))?.status).toBe('PAID');
    expect(published).toHaveLength(1);
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect((await deps.store.paidOn('bank', day)).map((paid) => paid.orderId)).toContain(order.orderId);
    expect(await deps.store.setReceipt(order.orderId, 'lic-1')).toBe(true);
    expect(await deps.store.setReceipt(order.orderId, 'lic-2')).toBe(false);
  });

  it('flags an unknown payment code under the day', async () => {
    const { deps, documents } = world();
    const code = '12345678901234567890';
    const handler = callbackHandler(deps);
    expect(((await handler(callbackEvent(code, 1), context)) as HttpResult).statusCode).toBe(404);
    const flags = await flagsOn(documents, TABLE, new Date().toISOString().slice(0, 10));
    expect(flags.some((flag) => flag.paymentCode === code && flag.kind === 'unknown-payment-code')).toBe(true);
  });

  it('a callback while DynamoDB hangs (SIGSTOP) → 503 with Retry-After, nothing half-written; after SIGCONT the retry settles once', async () => {
    const { deps, published } = world();
    const order = await newOrder(deps);
    const handler = callbackHandler(deps);
    process.kill(pid, 'SIGSTOP');
    frozen = true;
    const down = (await handler(callbackEvent(order.paymentCode, 2), context)) as HttpResult;
    process.kill(pid, 'SIGCONT');
    frozen = false;
    expect(down.statusCode).toBe(503);
    expect(down.headers?.['retry-after']).toBeTruthy();
    const after = await deps.store.orderAndTxn(order.orderId, {
      channel: 'bank',
      kind: 'payment',
      channelTxnId: `T-${order.paymentCode}`,
    });
    expect(after.order?.status).toBe('PENDING');
    expect(after.txn).toBeUndefined();
    let retry = (await handler(callbackEvent(order.paymentCode, 3), context)) as HttpResult;
    for (const started = Date.now(); retry.statusCode === 503 && Date.now() - started < 15_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      retry = (await handler(callbackEvent(order.paymentCode, 4), context)) as HttpResult;
    }
    expect(retry.statusCode).toBe(200);
    expect((await deps.store.order(order.orderId))?.status).toBe('PAID');
    expect(published.filter((event) => event.orderId === order.orderId)).toHaveLength(1);
  });
});
