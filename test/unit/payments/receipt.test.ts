import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  httpReceiptIssuer,
  RECEIPT_TYPE,
  ReceiptRefusedError,
  receiptRequest,
} from '../../../functions/payments/adapters/receipts-http.ts';
import type { Order } from '../../../functions/payments/model.ts';
import type { ReceiptIssuer } from '../../../functions/payments/ports.ts';
import { receiveCallback } from '../../../functions/payments/use-cases/callback.ts';
import { issueReceipt, NotSettledYetError } from '../../../functions/payments/use-cases/receipt.ts';
import { genericCallback, paymentsWorld } from '../../support/payments-world.ts';

/**
 * A stand-in for the licences capability that enforces its contract (shared API.md, Licences):
 * client-credentials token with scope licences:issue, POST /licences idempotent on (issuer, matterId),
 * the same matterId with another payload → 409.
 */
function licencesStub() {
  const byMatter = new Map<string, { body: string; licenceId: string }>();
  let tokens = 0;
  let failNext = 0;
  const read = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => resolve(text));
    });
  const server = createServer(async (request, response) => {
    const body = await read(request);
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    if (request.url === '/oauth2/token') {
      const basic = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      const form = new URLSearchParams(body);
      if (basic !== 'payments-receipts:s3cret' || form.get('grant_type') !== 'client_credentials')
        return send(401, { error: 'invalid_client' });
      if (form.get('scope') !== 'licences:issue') return send(400, { error: 'invalid_scope' });
      tokens++;
      return send(200, {
        access_token: `token-${tokens}`,
        token_type: 'Bearer',
        expires_in: 900,
        scope: 'licences:issue',
      });
    }
    if (request.url === '/licences' && request.method === 'POST') {
      if (failNext > 0) {
        failNext--;
        return send(503, { detail: 'down' });
      }
      if (!/^Bearer token-\d+$/.test(request.headers.authorization ?? '')) return send(401, { detail: 'no token' });
      const licence = JSON.parse(body) as { type?: string; matterId?: string; holder?: { kind?: string; id?: string } };
      if (licence.type !== RECEIPT_TYPE || !licence.matterId || !licence.holder?.id)
        return send(400, { detail: 'bad' });
      // The catalogue's payment-receipt schema is strict: no field beyond these.
      const allowed = [
        'orderId',
        'paymentCode',
        'itemCode',
        'itemName',
        'amountFen',
        'currency',
        'paidAt',
        'payerName',
        'channel',
        'channelTxnId',
      ];
      const data = (licence as { data?: Record<string, unknown> }).data ?? {};
      if (Object.keys(data).some((key) => !allowed.includes(key)) || typeof data.amountFen !== 'number')
        return send(400, { detail: 'data does not match the payment-receipt schema' });
      const known = byMatter.get(licence.matterId);
      if (known && known.body !== body) return send(409, { detail: 'another payload under this matterId' });
      if (known) return send(200, { licenceId: known.licenceId, status: 'valid' });
      const licenceId = `lic-${byMatter.size + 1}`;
      byMatter.set(licence.matterId, { body, licenceId });
      return send(201, { licenceId, status: 'valid' });
    }
    send(404, {});
  });
  return {
    server,
    byMatter,
    tokens: () => tokens,
    failNext: (n: number) => {
      failNext = n;
    },
  };
}

const stub = licencesStub();
let apiUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => stub.server.close(resolve)));

const credentials = async () => ({ clientId: 'payments-receipts', clientSecret: 's3cret' });

async function paidWorld() {
  const world = paymentsWorld();
  const order = await world.order();
  await receiveCallback(
    'bank',
    genericCallback({
      channelTxnId: 'T1',
      paymentCode: order.paymentCode,
      amountFen: 12_345,
      currency: 'CNY',
      status: 'SUCCESS',
      paidAt: '2026-11-30T01:59:00Z',
    }),
    world.deps,
    { requestId: 'r' },
  );
  return { world, order: world.orders.get(order.orderId)! };
}

/** Every ReceiptIssuer, the fake and the HTTP adapter alike, must pass these. */
function receiptIssuerContract(name: string, make: () => ReceiptIssuer) {
  describe(`ReceiptIssuer contract: ${name}`, () => {
    it('answers the same receipt for the same order however often it is asked', async () => {
      const { order } = await paidWorld();
      const issuer = make();
      const first = await issuer.issue(order);
      expect(first.receiptId).toMatch(/.+/);
      expect(await issuer.issue(order)).toEqual(first);
    });
    it('answers different receipts for different orders', async () => {
      const a = (await paidWorld()).order;
      const b = (await paidWorld()).order;
      const issuer = make();
      expect((await issuer.issue(a)).receiptId).not.toBe((await issuer.issue(b)).receiptId);
    });
  });
}

/** The fake the consumer tests use. */
function fakeIssuer(): ReceiptIssuer & { calls: Order[] } {
  const ids = new Map<string, string>();
  const calls: Order[] = [];
  return {
    calls,
    async issue(order) {
      calls.push(order);
      if (!ids.has(order.orderId)) ids.set(order.orderId, `fake-${ids.size + 1}`);
      return { receiptId: ids.get(order.orderId)! };
    },
  };
}

receiptIssuerContract('in-memory fake', fakeIssuer);
receiptIssuerContract('HTTP adapter against the licences stub', () => httpReceiptIssuer({ apiUrl, credentials }));

describe('the HTTP receipt adapter', () => {
  it('asks POST /licences with matterId = orderId, the payer as holder, and reuses its token', async () => {
    const { order } = await paidWorld();
    const tokensBefore = stub.tokens();
    const issuer = httpReceiptIssuer({ apiUrl, credentials });
    await issuer.issue(order);
    await issuer.issue(order);
    expect(stub.tokens() - tokensBefore).toBe(1);
    const request = receiptRequest(order);
    expect(request).toMatchObject({
      type: 'payment-receipt',
      matterId: order.orderId,
      holder: { kind: 'citizen', id: order.payer.id },
    });
    expect(JSON.parse(stub.byMatter.get(order.orderId)!.body)).toEqual(request);
  });

  it('throws on a licences outage (the message is retried) and on a refusal it cannot fix', async () => {
    const { order } = await paidWorld();
    stub.failNext(1);
    await expect(httpReceiptIssuer({ apiUrl, credentials }).issue(order)).rejects.toThrow(/503/);
    const bad = httpReceiptIssuer({
      apiUrl,
      credentials: async () => ({ clientId: 'payments-receipts', clientSecret: 'wrong' }),
    });
    await expect(bad.issue(order)).rejects.toThrow(/token endpoint answered 401/);
    // Same matterId with another payload: licences says 409, which no retry changes.
    const altered = { ...order, amountFen: 1 };
    await httpReceiptIssuer({ apiUrl, credentials }).issue(order);
    await expect(httpReceiptIssuer({ apiUrl, credentials }).issue(altered)).rejects.toBeInstanceOf(ReceiptRefusedError);
  });
});

describe('the payment.settled consumer', () => {
  it('issues one receipt per order, audits it, records it once; a redelivery issues nothing more', async () => {
    const { world, order } = await paidWorld();
    const receipts = fakeIssuer();
    const event = world.published[0]!;
    const first = await issueReceipt(event, { ...world.deps, receipts }, 'm1');
    const again = await issueReceipt(event, { ...world.deps, receipts }, 'm2');
    expect(first).toEqual({ receiptId: 'fake-1', issued: true });
    expect(again).toEqual({ receiptId: 'fake-1', issued: false });
    expect(receipts.calls).toHaveLength(1);
    expect(world.orders.get(order.orderId)!.receiptId).toBe('fake-1');
    expect(world.audits.filter((audit) => audit.action === 'payments.receipt.issue')).toHaveLength(1);
  });

  it('concurrent deliveries of one event: one receipt recorded', async () => {
    const { world, order } = await paidWorld();
    const receipts = fakeIssuer();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => issueReceipt(world.published[0]!, { ...world.deps, receipts }, `m${i}`)),
    );
    expect(new Set(results.map((result) => result.receiptId))).toEqual(new Set(['fake-1']));
    expect(results.filter((result) => result.issued)).toHaveLength(1);
    expect(world.orders.get(order.orderId)!.receiptId).toBe('fake-1');
  });

  it('an order that is not PAID in the table it reads: throws, so SQS delivers it again later, and issues nothing', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const event = {
      type: 'payment.settled' as const,
      orderId: order.orderId,
      paymentCode: order.paymentCode,
      amountFen: 12_345,
      currency: 'CNY',
      channel: 'bank',
      channelTxnId: 'T',
      paidAt: '2026-11-30T01:59:00Z',
    };
    const receipts = fakeIssuer();
    await expect(issueReceipt(event, { ...world.deps, receipts }, 'm')).rejects.toBeInstanceOf(NotSettledYetError);
    expect(receipts.calls).toHaveLength(0);
  });
});
