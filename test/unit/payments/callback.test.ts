import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../shared/errors.ts';
import { receiveCallback } from '../../../functions/payments/use-cases/callback.ts';
import { genericCallback, NOW, paymentsWorld } from '../../support/payments-world.ts';

const context = { requestId: 'req-1', sourceIp: '203.0.113.9' };
const notice = (paymentCode: string, extra: Record<string, unknown> = {}) => ({
  channelTxnId: 'bank-txn-1',
  paymentCode,
  amountFen: 12_345,
  currency: 'CNY',
  status: 'SUCCESS',
  paidAt: '2026-11-30T01:59:00Z',
  ...extra,
});
const statusOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof DomainError) return error.status;
    throw error;
  }
};

/** What the notices audited, leaving out the order's creation. */
const callbackAudits = (world: ReturnType<typeof paymentsWorld>) =>
  world.audits
    .filter((audit) => audit.action !== 'payments.order.create')
    .map((audit) => [audit.action, audit.outcome]);

/** A dependency that cannot be reached, as the SDK reports it. */
const down = () => Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' });
/** Counts the writes that move an order to PAID, as they are applied. */
function paidTransitions(world: ReturnType<typeof paymentsWorld>): { count: number } {
  const counted = { count: 0 };
  const apply = world.deps.store.applyNotice;
  world.deps.store.applyNotice = async (write) => {
    const result = await apply(write);
    if (result === 'applied' && write.transition?.to === 'PAID') counted.count++;
    return result;
  };
  return counted;
}
/** Makes `port[name]` fail as unreachable until the function returned is called. */
function unreachable<P extends object>(port: P, name: keyof P): () => void {
  const real = port[name] as (...args: unknown[]) => Promise<unknown>;
  let failing = true;
  (port as Record<keyof P, unknown>)[name] = async (...args: unknown[]) =>
    failing ? Promise.reject(down()) : real.apply(port, args);
  return () => {
    failing = false;
  };
}
const latch = () => {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
};

describe('a generic channel callback', () => {
  it('settles a PENDING order: PAID, one settlement event, audited, the raw delivery kept', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const answer = await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ acknowledged: true, orderStatus: 'PAID' });
    expect(world.orders.get(order.orderId)!.status).toBe('PAID');
    expect(world.published).toHaveLength(1);
    expect(world.published[0]).toMatchObject({ type: 'payment.settled', orderId: order.orderId, amountFen: 12_345 });
    expect(world.callbacks).toHaveLength(1);
    expect(world.callbacks[0]).toMatchObject({ channel: 'bank', verdict: 'accepted' });
    expect(world.audits.map((event) => event.action)).toContain('payments.order.paid');
  });

  it('answers a repeat of the same transaction with the same outcome and settles nothing twice', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const first = await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    const again = await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    expect(again).toEqual(first);
    expect(world.published).toHaveLength(1);
    expect(world.callbacks).toHaveLength(2);
  });

  it('50 concurrent deliveries of one callback: one PAID transition, one settlement event, all answered 200 alike', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const transitions = paidTransitions(world);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
      ),
    );
    expect(new Set(answers.map((answer) => `${answer.statusCode} ${answer.body}`))).toEqual(
      new Set(['200 {"acknowledged":true,"orderStatus":"PAID"}']),
    );
    expect(transitions.count).toBe(1);
    expect(world.published).toHaveLength(1);
    expect(world.audits.filter((event) => event.action === 'payments.order.paid')).toHaveLength(1);
  });

  it.each([
    ['a forged signature', { signature: `v1=${'0'.repeat(64)}` }, 'bad-signature'],
    ['a signature with another secret', { secret: 'another-secret-another-secret-another' }, 'bad-signature'],
    ['no signature', { signature: null }, 'missing-signature'],
    ['a timestamp 301 s old', { timestamp: Math.floor(NOW.getTime() / 1000) - 301 }, 'stale-timestamp'],
    ['a timestamp 301 s ahead', { timestamp: Math.floor(NOW.getTime() / 1000) + 301 }, 'stale-timestamp'],
    ['a signature that is not v1=hex', { signature: 'v1=zz' }, 'bad-signature'],
  ])('refuses %s with 401, keeps the attempt and leaves the order alone', async (_name, options, verdict) => {
    const world = paymentsWorld();
    const order = await world.order();
    expect(
      await statusOf(receiveCallback('bank', genericCallback(notice(order.paymentCode), options), world.deps, context)),
    ).toBe(401);
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
    expect(world.callbacks.map((raw) => raw.verdict)).toEqual([verdict]);
    expect(world.published).toHaveLength(0);
    expect(world.audits.at(-1)).toMatchObject({ action: 'payments.callback.refuse', outcome: 'denied' });
  });

  it('accepts a timestamp 299 s away', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const timestamp = Math.floor(NOW.getTime() / 1000) - 299;
    const answer = await receiveCallback(
      'bank',
      genericCallback(notice(order.paymentCode), { timestamp }),
      world.deps,
      context,
    );
    expect(answer.statusCode).toBe(200);
  });

  it('answers 404 for an unknown channel and keeps the attempt', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    expect(
      await statusOf(receiveCallback('nobody', genericCallback(notice(order.paymentCode)), world.deps, context)),
    ).toBe(404);
    expect(
      await statusOf(receiveCallback('../../etc', genericCallback(notice(order.paymentCode)), world.deps, context)),
    ).toBe(404);
    expect(world.callbacks.map((raw) => raw.verdict)).toEqual(['unknown-channel', 'unknown-channel']);
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
  });

  it.each([
    ['not JSON', '{"channelTxnId":'],
    ['a fractional amount', JSON.stringify({ ...notice('12345678901234567890'), amountFen: 1.5 })],
    ['a negative amount', JSON.stringify({ ...notice('12345678901234567890'), amountFen: -1 })],
    ['an unknown status', JSON.stringify({ ...notice('12345678901234567890'), status: 'MAYBE' })],
    ['an extra field', JSON.stringify({ ...notice('12345678901234567890'), extra: 1 })],
    ['a short payment code', JSON.stringify({ ...notice('1234') })],
  ])('refuses a well-signed but malformed body (%s) with 400 and keeps it', async (_name, text) => {
    const world = paymentsWorld();
    const body = Buffer.from(text);
    const timestamp = String(Math.floor(NOW.getTime() / 1000));
    const { genericSignature } = await import('../../../functions/payments/channels/generic.ts');
    const { GENERIC_SECRET } = await import('../../support/payments-world.ts');
    const request = {
      headers: {
        'x-dgov-timestamp': timestamp,
        'x-dgov-signature': `v1=${genericSignature(GENERIC_SECRET, timestamp, body)}`,
      },
      body,
    };
    expect(await statusOf(receiveCallback('bank', request, world.deps, context))).toBe(400);
    expect(world.callbacks.map((raw) => raw.verdict)).toEqual(['malformed']);
  });

  it('answers 404 and flags a payment for an unknown payment code', async () => {
    const world = paymentsWorld();
    expect(
      await statusOf(receiveCallback('bank', genericCallback(notice('12345678901234567890')), world.deps, context)),
    ).toBe(404);
    expect(world.flags.map((flag) => flag.kind)).toEqual(['unknown-payment-code']);
  });

  it('accepts a payment for an EXPIRED order, flags it for refund and never settles it', async () => {
    const world = paymentsWorld();
    const order = await world.order(12_345, 1);
    world.setNow(new Date(NOW.getTime() + 5 * 60_000));
    const late = genericCallback(notice(order.paymentCode, { paidAt: '2026-11-30T02:04:00Z' }), {
      timestamp: Math.floor(NOW.getTime() / 1000) + 300,
    });
    const answer = await receiveCallback('bank', late, world.deps, context);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      acknowledged: true,
      orderStatus: 'EXPIRED',
      flagged: 'refund-needed',
    });
    expect(world.orders.get(order.orderId)!.status).toBe('EXPIRED');
    expect(world.flags.map((flag) => flag.kind)).toEqual(['refund-needed']);
    expect(world.published).toHaveLength(0);
  });

  it('refuses another amount or currency with 409 and flags it; the same id with another payload later is 409 too', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    expect(
      await statusOf(
        receiveCallback('bank', genericCallback(notice(order.paymentCode, { amountFen: 1 })), world.deps, context),
      ),
    ).toBe(409);
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
    expect(
      await statusOf(
        receiveCallback(
          'bank',
          genericCallback(notice(order.paymentCode, { channelTxnId: 'usd', currency: 'USD' })),
          world.deps,
          context,
        ),
      ),
    ).toBe(409);
    // The first transaction id again, now with the right amount: a different payload under a known id.
    expect(
      await statusOf(receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context)),
    ).toBe(409);
    expect(world.flags.map((flag) => flag.kind)).toEqual(['amount-mismatch', 'amount-mismatch', 'txn-conflict']);
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
  });

  it('flags a second payment of a PAID order for refund and answers 200', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    const second = await receiveCallback(
      'bank',
      genericCallback(notice(order.paymentCode, { channelTxnId: 'bank-txn-2' })),
      world.deps,
      context,
    );
    expect(JSON.parse(second.body)).toMatchObject({ orderStatus: 'PAID', flagged: 'refund-needed' });
    expect(world.published).toHaveLength(1);
  });

  it('FAILED moves a PENDING order to FAILED', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const answer = await receiveCallback(
      'bank',
      genericCallback(notice(order.paymentCode, { status: 'FAILED' })),
      world.deps,
      context,
    );
    expect(JSON.parse(answer.body)).toEqual({ acknowledged: true, orderStatus: 'FAILED' });
    expect(world.published).toHaveLength(0);
  });

  it('a queue that is down after the write: 503-worthy error, the order PAID but nothing announced; the retry announces once', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    world.setQueueDown(true);
    await expect(
      receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
    ).rejects.toThrow();
    expect(world.orders.get(order.orderId)!.status).toBe('PAID');
    const txn = [...world.txns.values()][0]!;
    expect(txn.announce?.settled?.orderId).toBe(order.orderId);
    expect(world.published).toHaveLength(0);
    expect(callbackAudits(world)).toEqual([]);
    world.setQueueDown(false);
    const answer = await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    expect(JSON.parse(answer.body).orderStatus).toBe('PAID');
    expect(world.published).toHaveLength(1);
    expect(callbackAudits(world)).toEqual([['payments.order.paid', 'success']]);
  });

  it('DynamoDB down at the write: nothing written and no event claims it; the retry settles and announces once', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const restore = unreachable(world.deps.store, 'applyNotice');
    await expect(
      receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
    ).rejects.toThrow();
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
    expect(world.txns.size).toBe(0);
    expect(world.sends()).toBe(0);
    expect(callbackAudits(world)).toEqual([]);
    restore();
    await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    expect(world.orders.get(order.orderId)!.status).toBe('PAID');
    expect(world.published).toHaveLength(1);
    expect(callbackAudits(world)).toEqual([['payments.order.paid', 'success']]);
  });

  it('the delivery cannot be kept: no 200 even though the notice settled; the retry keeps it and answers the same', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const restore = unreachable(world.deps.store, 'recordCallback');
    await expect(
      receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
    ).rejects.toThrow('ECONNREFUSED');
    expect(world.callbacks).toHaveLength(0);
    expect(world.orders.get(order.orderId)!.status).toBe('PAID');
    restore();
    const answer = await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    expect(JSON.parse(answer.body)).toEqual({ acknowledged: true, orderStatus: 'PAID' });
    expect(world.callbacks).toHaveLength(1);
    expect(world.published).toHaveLength(1);
  });

  it('the read that decides fails: no 200, the order unchanged, and the delivery is still kept', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    world.deps.store.orderAndTxn = async () => {
      throw down();
    };
    await expect(
      receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
    ).rejects.toThrow('ECONNREFUSED');
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
    expect(world.callbacks).toHaveLength(1);
    expect(world.callbacks[0]).toMatchObject({ verdict: 'accepted' });
    expect(world.sends()).toBe(0);
  });

  it('every repeat sends the owed events again, and downstream deduplication keeps one of each', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const deliver = () => receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    await deliver();
    expect(world.sends()).toBe(1);
    await deliver();
    await deliver();
    expect(world.sends()).toBe(3);
    expect(world.published).toHaveLength(1);
    expect(callbackAudits(world)).toEqual([['payments.order.paid', 'success']]);
  });

  it('a flag that changed no order (an unknown payment code) is audited after its write, once', async () => {
    const world = paymentsWorld();
    const unknown = notice('10000000000000000000');
    await expect(receiveCallback('bank', genericCallback(unknown), world.deps, context)).rejects.toThrow();
    await expect(receiveCallback('bank', genericCallback(unknown), world.deps, context)).rejects.toThrow();
    expect(world.flags.map((flag) => flag.kind)).toEqual(['unknown-payment-code']);
    expect(callbackAudits(world)).toEqual([['payments.callback.unknown-payment-code', 'denied']]);
  });
});

describe('a callback whose steps fail (the delivery is kept and the notice settled before any answer)', () => {
  it('a store that throws at once while keeping the delivery: no answer before the notice has settled', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const read = world.deps.store.orderAndTxn;
    const reading = latch();
    world.deps.store.orderAndTxn = async (...args) => {
      await reading.promise;
      return read(...args);
    };
    let settledAt: number | undefined;
    const apply = world.deps.store.applyNotice;
    world.deps.store.applyNotice = async (write) => {
      const result = await apply(write);
      settledAt = performance.now();
      return result;
    };
    // Not an async function: a put whose request is built (and refused) before any promise.
    world.deps.store.recordCallback = () => {
      throw down();
    };
    const answered = receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context).then(
      () => ({ at: performance.now(), error: undefined }),
      (error: Error) => ({ at: performance.now(), error }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    reading.release();
    const { at, error } = await answered;
    expect(error?.message).toBe('connect ECONNREFUSED');
    expect(settledAt).toBeDefined();
    expect(settledAt!).toBeLessThanOrEqual(at);
    expect(world.orders.get(order.orderId)!.status).toBe('PAID');
  });

  it('a store that throws at once while keeping the delivery, then a failed read: nothing left running unhandled', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const reading = latch();
    world.deps.store.orderAndTxn = async () => {
      await reading.promise;
      throw Object.assign(new Error('the read failed after the answer'), { name: 'TimeoutError' });
    };
    world.deps.store.recordCallback = () => {
      throw down();
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const answered = receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
      answered.catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      reading.release();
      await expect(answered).rejects.toThrow();
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it.each([
    ['at once', true],
    ['later', false],
  ])('the read that decides fails %s: no 200, the order unchanged, the delivery kept', async (_, atOnce) => {
    const world = paymentsWorld();
    const order = await world.order();
    world.deps.store.orderAndTxn = atOnce
      ? () => {
          throw down();
        }
      : async () => {
          throw down();
        };
    await expect(
      receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
    ).rejects.toThrow('ECONNREFUSED');
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
    expect(world.callbacks.map((callback) => callback.verdict)).toEqual(['accepted']);
  });

  it('no 200 until the delivery is kept, however long its put takes', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const record = world.deps.store.recordCallback;
    const putting = latch();
    world.deps.store.recordCallback = async (callback) => {
      await putting.promise;
      return record(callback);
    };
    let answered = false;
    const answer = receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context).then(
      (result) => {
        answered = true;
        return result;
      },
    );
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(world.orders.get(order.orderId)!.status).toBe('PAID');
    expect(answered).toBe(false);
    putting.release();
    expect((await answer).statusCode).toBe(200);
    expect(world.callbacks).toHaveLength(1);
  });

  it('the delivery and the write both fail: no 200, nothing settled; the retry settles once', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const restoreStore = [
      unreachable(world.deps.store, 'recordCallback'),
      unreachable(world.deps.store, 'applyNotice'),
    ];
    await expect(
      receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
    ).rejects.toThrow('ECONNREFUSED');
    expect(world.orders.get(order.orderId)!.status).toBe('PENDING');
    expect(world.callbacks).toHaveLength(0);
    for (const restore of restoreStore) restore();
    expect(
      (await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context)).statusCode,
    ).toBe(200);
    expect(world.published).toHaveLength(1);
  });

  it('only the audit queue fails: no 200, the order PAID and its settlement sent; the retry audits once', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const restore = unreachable(world.deps, 'audit');
    await expect(
      receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context),
    ).rejects.toThrow();
    expect(world.orders.get(order.orderId)!.status).toBe('PAID');
    expect(callbackAudits(world)).toEqual([]);
    restore();
    const answer = await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    expect(JSON.parse(answer.body)).toEqual({ acknowledged: true, orderStatus: 'PAID' });
    expect(world.published).toHaveLength(1);
    expect(callbackAudits(world)).toEqual([['payments.order.paid', 'success']]);
  });

  it('30 concurrent deliveries, every other one unable to keep its delivery: one transition; 200 exactly for those kept', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    const record = world.deps.store.recordCallback;
    let calls = 0;
    world.deps.store.recordCallback = async (callback) =>
      calls++ % 2 === 0 ? Promise.reject(down()) : record(callback);
    const transitions = paidTransitions(world);
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        statusOf(receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context)).catch(
          () => 503,
        ),
      ),
    );
    expect(answers.filter((status) => status === 200)).toHaveLength(15);
    expect(answers.filter((status) => status !== 200)).toHaveLength(15);
    expect(world.callbacks).toHaveLength(15);
    expect(transitions.count).toBe(1);
    expect(world.published).toHaveLength(1);
    expect(callbackAudits(world)).toEqual([['payments.order.paid', 'success']]);
  });
});

describe('refunds', () => {
  it('PAID → REFUND_PENDING on request, → REFUNDED on the channel refund callback; an unasked refund is 409', async () => {
    const { requestRefund } = await import('../../../functions/payments/use-cases/orders.ts');
    const world = paymentsWorld();
    const order = await world.order();
    const refund = notice(order.paymentCode, { channelTxnId: 'refund-1', status: 'REFUNDED' });
    expect(await statusOf(receiveCallback('bank', genericCallback(refund), world.deps, context))).toBe(409);
    await receiveCallback('bank', genericCallback(notice(order.paymentCode)), world.deps, context);
    const department = { clientId: 'demo-department', sub: 'demo-department', department: 'dept-market' };
    await expect(
      requestRefund(order.orderId, 'paid twice', { ...department, department: 'dept-police' }, world.deps, 'r'),
    ).rejects.toMatchObject({ status: 403 });
    expect((await requestRefund(order.orderId, 'paid twice', department, world.deps, 'r')).status).toBe(
      'REFUND_PENDING',
    );
    const refund2 = notice(order.paymentCode, { channelTxnId: 'refund-2', status: 'REFUNDED' });
    const answer = await receiveCallback('bank', genericCallback(refund2), world.deps, context);
    expect(JSON.parse(answer.body).orderStatus).toBe('REFUNDED');
    expect(world.orders.get(order.orderId)!.refund).toMatchObject({ reason: 'paid twice', channelTxnId: 'refund-2' });
  });
});
