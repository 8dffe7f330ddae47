import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createSign, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { genericSignature } from '../../../functions/payments/channels/generic.ts';
import { paymentsManifest } from '../../../functions/payments/manifest.ts';
import { routeKey } from '../../../shared/route-contract.ts';
import { FUZZ_TIMEOUT, mutated, text } from '../../support/fuzz/arbitraries.ts';
import { COMMON_ENV, fakes, quietObservability, REVOKED_JTI } from '../../support/fuzz/fakes.ts';
import { fuzzRoute, type RouteSpec } from '../../support/fuzz/routes.ts';
import { lambdaContext } from '../../support/identity-in-process.ts';
import { GENERIC_SECRET, paymentsWorld } from '../../support/payments-world.ts';

/**
 * Every payments route, in-process on the memory store, under arbitrary requests: never a 5xx, a
 * 4xx is problem+json (or Alipay's plain-text answer), and a refused request changes no order.
 */
const alipayKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const CHANNELS: Record<string, Record<string, unknown>> = {
  bank: { adapter: 'generic', secret: GENERIC_SECRET },
  alipay: {
    adapter: 'alipay',
    appId: '2021000000000001',
    appPrivateKey: appKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    alipayPublicKey: alipayKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  },
};
const world = paymentsWorld();
const published: unknown[] = [];

vi.mock(import('../../../functions/payments/dynamodb/store.ts'), () => ({ dynamoPaymentsStore: () => world.store }));
vi.mock(import('../../../functions/payments/adapters/settlement-queue.ts'), () => ({
  sqsSettlementPublisher: () => async (event) => void published.push(event),
}));
vi.mock(import('../../../functions/payments/adapters/secrets.ts'), () => ({
  secretReader: () => async (name: string) => CHANNELS[name],
}));
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => fakes.sendAudit,
}));
vi.mock(import('../../../shared/auth/deny-list.ts'), () => ({ controlTableDenyList: () => fakes.isRevoked }));
vi.mock(import('../../../shared/cors-origins.ts'), async (original) => ({
  ...(await original()),
  controlTableOrigins: () => fakes.isRegisteredOrigin,
}));

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let handler: Handler;
let orderIds: string[] = [];
let paymentCodes: string[] = [];

const market = {
  sub: 'client-market',
  jti: 'j1',
  scope: 'payments:orders',
  client_id: 'dept-market-app',
  department: 'dept-market',
};
const police = {
  sub: 'client-police',
  jti: 'j2',
  scope: 'payments:orders',
  client_id: 'dept-police-app',
  department: 'dept-police',
};
const citizen = { sub: 'acc-00000000-0000-0000-0000-000000000001', jti: 'j3', scope: 'openid', client_id: 'portal' };
const revoked = { ...market, jti: REVOKED_JTI };
const CLAIMS = [market, police, citizen, revoked];

const NOW_SECONDS = () => String(Math.floor(Date.now() / 1000));
const genericNotice = () =>
  fc.constantFrom(...paymentCodes).chain((paymentCode) =>
    mutated({
      channelTxnId: 'bank-txn-1',
      paymentCode,
      amountFen: 12_345,
      currency: 'CNY',
      status: 'SUCCESS',
      paidAt: '2026-11-30T01:59:00Z',
    }),
  );
const signedGeneric = fc
  .tuple(
    fc.constant(null).chain(genericNotice),
    fc.oneof({ arbitrary: fc.constant('now'), weight: 4 }, fc.constantFrom('0', '-1', '99999999999', 'x'), text),
    fc.constantFrom('good', 'good', 'good', 'bad', 'none'),
  )
  .map(([notice, stamp, signature]) => {
    const body = JSON.stringify(notice) ?? '';
    const timestamp = stamp === 'now' ? NOW_SECONDS() : stamp;
    const headers: Record<string, string> = { 'x-dgov-timestamp': timestamp };
    if (signature !== 'none')
      headers['x-dgov-signature'] =
        signature === 'good' ? `v1=${genericSignature(GENERIC_SECRET, timestamp, Buffer.from(body))}` : 'v1=00';
    return { body, contentType: 'application/json', headers };
  });

const signAsAlipay = (params: Record<string, string>) => {
  const content = Object.keys(params)
    .filter((name) => name !== 'sign' && name !== 'sign_type' && params[name] !== '')
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
  return {
    ...params,
    sign: createSign('RSA-SHA256').update(content, 'utf8').sign(alipayKeys.privateKey, 'base64'),
    sign_type: 'RSA2',
  };
};
const signedAlipay = fc
  .tuple(
    fc.constant(null).chain(() => fc.constantFrom(...paymentCodes)),
    fc.constantFrom('123.45', '0.01', '1e3', '-1', '123.456', 'abc', ''),
    fc.constantFrom('TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED', 'WAIT_BUYER_PAY', 'X'),
    fc.dictionary(fc.constantFrom('app_id', 'trade_no', 'gmt_payment', 'notify_type', 'charset', 'refund_fee'), text, {
      maxKeys: 2,
    }),
    fc.boolean(),
  )
  .map(([paymentCode, amount, status, changed, sign]) => {
    const params = {
      notify_time: '2026-11-30 10:00:01',
      notify_type: 'trade_status_sync',
      notify_id: 'ac05099524730693a8b330c5ecf72da9786',
      app_id: '2021000000000001',
      charset: 'utf-8',
      version: '1.0',
      trade_no: '2026113022001400000000000001',
      out_trade_no: paymentCode,
      trade_status: status,
      total_amount: amount,
      gmt_payment: '2026-11-30 09:59:58',
      ...changed,
    };
    return {
      body: new URLSearchParams(sign ? signAsAlipay(params) : params).toString(),
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    };
  });

const orderId = () => fc.oneof(fc.constantFrom(...orderIds), fc.constant('po-00000000000000000000'), text);
const SPECS: Record<string, () => RouteSpec> = {
  'GET /payments/items': () => ({}),
  'POST /payments/orders': () => ({
    claims: CLAIMS,
    body: {
      json: {
        itemCode: 'market-registration-fee',
        payer: { kind: 'citizen', id: '11010519491231002X', name: '张三' },
        amountFen: 12_345,
        description: '企业登记费',
        matterId: 'm-1',
      },
    },
  }),
  'GET /payments/orders/{orderId}': () => ({ claims: CLAIMS, params: { orderId: orderId() } }),
  'POST /payments/orders/{orderId}/refund': () => ({
    claims: CLAIMS,
    params: { orderId: orderId() },
    body: { json: { reason: '重复缴费' } },
  }),
  'POST /payments/callbacks/{channel}': () => ({
    params: { channel: fc.constantFrom('bank', 'bank', 'alipay', 'alipay', 'nope', '') },
    body: { arbitrary: fc.oneof(signedGeneric, signedAlipay, fc.record({ body: text, contentType: text })) },
    errors: ['text'],
  }),
};

/**
 * What a refused request must not change. The raw deliveries and audit events are kept on
 * purpose (a refused callback is evidence), and so is the flag of a paid-but-wrong notice (a 409).
 */
const fuzzWorld = (route: string) => ({
  state: () =>
    route.startsWith('POST /payments/callbacks')
      ? { orders: [...world.orders.entries()], published }
      : { orders: [...world.orders.entries()], txns: [...world.txns.entries()], flags: world.flags, published },
  reset: () => {
    world.orders.clear();
    for (const [id, order] of seeded) world.orders.set(id, structuredClone(order));
    world.txns.clear();
    for (const [key, txn] of seededTxns) world.txns.set(key, structuredClone(txn));
    world.flags.length = 0;
    world.callbacks.length = 0;
    published.length = 0;
    fakes.audited.length = 0;
  },
});
let seeded: [string, Parameters<typeof world.orders.set>[1]][] = [];
let seededTxns: [string, Parameters<typeof world.txns.set>[1]][] = [];

beforeAll(async () => {
  quietObservability();
  Object.assign(process.env, COMMON_ENV, {
    DGOV_PAYMENTS_TABLE: 'payments',
    DGOV_PAYMENTS_SETTLEMENT_QUEUE_URL: 'http://127.0.0.1:1/000000000000/settlement.fifo',
    DGOV_PAYMENTS_CHANNEL_SECRETS: 'file:/nonexistent',
    DGOV_PAYMENTS_MAX_AMOUNT_FEN: '100000000',
    DGOV_PAYMENTS_ORDER_TTL_MINUTES: '60',
  });
  handler = (await import('../../../functions/payments/handler.ts')).handler as Handler;
  // The handler's clock is the real one: orders open for a day, so that callbacks can still pay them.
  world.setNow(new Date());
  const orders = await Promise.all([world.order(12_345, 1440), world.order(1, 1440), world.order(99_999, 1440)]);
  orderIds = orders.map((order) => order.orderId);
  paymentCodes = orders.map((order) => order.paymentCode);
  // One of them PAID, so that refunds get past the order's state.
  const { genericCallback } = await import('../../support/payments-world.ts');
  const { receiveCallback } = await import('../../../functions/payments/use-cases/callback.ts');
  const notice = {
    channelTxnId: 'bank-txn-seed',
    paymentCode: orders[0]!.paymentCode,
    amountFen: 12_345,
    currency: 'CNY',
    status: 'SUCCESS',
    paidAt: new Date().toISOString(),
  };
  await receiveCallback('bank', genericCallback(notice, { timestamp: Math.floor(Date.now() / 1000) }), world.deps, {
    requestId: 'seed',
  });
  expect(world.orders.get(orderIds[0]!)!.status).toBe('PAID');
  seeded = structuredClone([...world.orders.entries()]);
  seededTxns = structuredClone([...world.txns.entries()]);
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('payments routes under fuzzing', () => {
  const routes = paymentsManifest.functions.flatMap((fn) => fn.routes ?? []);
  // Each channel with notices signed as it signs them, so that most runs reach the settlement.
  it.each([
    ['bank', () => signedGeneric],
    ['alipay', () => signedAlipay],
  ] as const)(
    'POST /payments/callbacks/%s, its own notices',
    async (channel, notices) => {
      const route = routes.find((item) => item.path === '/payments/callbacks/{channel}')!;
      const spec: RouteSpec = {
        params: { channel: fc.constant(channel) },
        body: { arbitrary: notices() },
        errors: ['text'],
      };
      await fuzzRoute(route, spec, (event) => handler(event, lambdaContext()), fuzzWorld(routeKey(route)));
    },
    FUZZ_TIMEOUT,
  );

  it.each(routes.map((route) => [routeKey(route), route] as const))(
    '%s',
    async (key, route) => {
      expect(SPECS[key], `no fuzz spec for ${key}`).toBeDefined();
      await fuzzRoute(route, SPECS[key]!(), (event) => handler(event, lambdaContext()), fuzzWorld(key));
    },
    FUZZ_TIMEOUT,
  );
});
