import { createSign, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alipayAdapter, yuanToFen } from '../../../functions/payments/channels/alipay.ts';
import { receiveCallback } from '../../../functions/payments/use-cases/callback.ts';
import { DomainError } from '../../../shared/errors.ts';
import { paymentsWorld } from '../../support/payments-world.ts';

// A generated pair stands in for Alipay's: its private half signs as Alipay does, its public half is the channel's.
const alipayKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const config = {
  channel: 'alipay',
  adapter: 'alipay' as const,
  appId: '2021000000000001',
  appPrivateKey: appKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  alipayPublicKey: alipayKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
};

/** Alipay's asynchronous notification signature: RSA2 over the sorted non-empty parameters, without sign and sign_type. */
function signAsAlipay(params: Record<string, string>, key = alipayKeys.privateKey): Record<string, string> {
  const content = Object.keys(params)
    .filter((name) => name !== 'sign' && name !== 'sign_type' && params[name] !== '')
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
  const sign = createSign('RSA-SHA256').update(content, 'utf8').sign(key, 'base64');
  return { ...params, sign, sign_type: 'RSA2' };
}

const notify = (paymentCode: string, extra: Record<string, string> = {}) => ({
  notify_time: '2026-11-30 10:00:01',
  notify_type: 'trade_status_sync',
  notify_id: 'ac05099524730693a8b330c5ecf72da9786',
  app_id: config.appId,
  charset: 'utf-8',
  version: '1.0',
  trade_no: '2026113022001400000000000001',
  out_trade_no: paymentCode,
  trade_status: 'TRADE_SUCCESS',
  total_amount: '123.45',
  receipt_amount: '123.45',
  subject: '企业登记费 100% 缴纳',
  gmt_payment: '2026-11-30 09:59:58',
  ...extra,
});
const form = (params: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  body: Buffer.from(new URLSearchParams(params).toString()),
});
const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error) => (error instanceof DomainError ? error.status : Promise.reject(error)),
  );

describe('the Alipay adapter (asynchronous notification)', () => {
  it('verifies a notification signed the way Alipay signs (with the official SDK), settles the order and answers `success`', async () => {
    const world = paymentsWorld({ alipay: config });
    const order = await world.order();
    const answer = await receiveCallback('alipay', form(signAsAlipay(notify(order.paymentCode))), world.deps, {
      requestId: 'r',
    });
    expect(answer).toEqual({ statusCode: 200, contentType: 'text/plain; charset=utf-8', body: 'success' });
    expect(world.orders.get(order.orderId)).toMatchObject({
      status: 'PAID',
      paid: { channel: 'alipay', channelTxnId: '2026113022001400000000000001', paidAt: '2026-11-30T01:59:58.000Z' },
    });
    expect(world.published).toHaveLength(1);
  });

  it.each([
    ['an altered amount', (p: Record<string, string>) => ({ ...p, total_amount: '0.01' })],
    ['another payment code', (p: Record<string, string>) => ({ ...p, out_trade_no: '12345678901234567897' })],
    ['no sign', ({ sign: _s, ...p }: Record<string, string>) => p],
    ['sign_type RSA (SHA-1)', (p: Record<string, string>) => ({ ...p, sign_type: 'RSA' })],
    ['another app_id', (p: Record<string, string>) => signAsAlipay({ ...p, app_id: '2021999999999999' })],
    ['garbage in sign', (p: Record<string, string>) => ({ ...p, sign: '%%%not base64' })],
  ])('refuses %s with 401', async (_name, tamper) => {
    const world = paymentsWorld({ alipay: config });
    const order = await world.order();
    const params = tamper(signAsAlipay(notify(order.paymentCode)));
    expect(await statusOf(receiveCallback('alipay', form(params), world.deps, { requestId: 'r' }))).toBe(401);
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
  });

  it('refuses a notification signed with another key', async () => {
    const world = paymentsWorld({ alipay: config });
    const order = await world.order();
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const params = signAsAlipay(notify(order.paymentCode), stranger);
    expect(await statusOf(receiveCallback('alipay', form(params), world.deps, { requestId: 'r' }))).toBe(401);
  });

  it('acknowledges WAIT_BUYER_PAY without changing anything, and maps TRADE_CLOSED to FAILED', async () => {
    const world = paymentsWorld({ alipay: config });
    const order = await world.order();
    const waiting = signAsAlipay(notify(order.paymentCode, { trade_status: 'WAIT_BUYER_PAY' }));
    expect((await receiveCallback('alipay', form(waiting), world.deps, { requestId: 'r' })).body).toBe('success');
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
    const closed = signAsAlipay(notify(order.paymentCode, { trade_status: 'TRADE_CLOSED' }));
    await receiveCallback('alipay', form(closed), world.deps, { requestId: 'r' });
    expect(world.orders.get(order.orderId)!.status).toBe('FAILED');
  });

  it('refuses a signed notification with a malformed amount with 400', async () => {
    const world = paymentsWorld({ alipay: config });
    const order = await world.order();
    const params = signAsAlipay(notify(order.paymentCode, { total_amount: '1.234' }));
    expect(await statusOf(receiveCallback('alipay', form(params), world.deps, { requestId: 'r' }))).toBe(400);
  });

  it('converts yuan to fen exactly', () => {
    expect(yuanToFen('123.45')).toBe(12_345);
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('7')).toBe(700);
    expect(yuanToFen('0.00')).toBeUndefined();
    expect(yuanToFen('-1')).toBeUndefined();
    expect(yuanToFen('1e3')).toBeUndefined();
    expect(alipayAdapter.ack({ status: 200 }).body).toBe('success');
  });
});
