import { describe, expect, it } from 'vitest';
import { receiveCallback } from '../../../functions/payments/use-cases/callback.ts';
import { reconcile, reportKey, statementOf } from '../../../functions/payments/use-cases/reconcile.ts';
import { genericCallback, paymentsWorld } from '../../support/payments-world.ts';

const paidAt = '2026-11-30T01:59:00Z'; // 09:59 Beijing time, business day 2026-11-30
const pay = (paymentCode: string, channelTxnId: string, amountFen = 12_345) => ({
  channelTxnId,
  paymentCode,
  amountFen,
  currency: 'CNY',
  status: 'SUCCESS',
  paidAt,
});

describe('reconciliation of a statement', () => {
  it('reports matched, not PAID here (repaired), PAID but missing, amount mismatches and bad lines; a rerun changes nothing', async () => {
    const world = paymentsWorld();
    const matched = await world.order();
    const missing = await world.order();
    const unpaid = await world.order();
    const mismatch = await world.order();
    for (const [order, txn] of [
      [matched, 'T-matched'],
      [missing, 'T-missing'],
    ] as const)
      await receiveCallback('bank', genericCallback(pay(order.paymentCode, txn)), world.deps, { requestId: 'r' });

    const csv = [
      'channelTxnId,paymentCode,amountFen,currency,status,paidAt',
      `T-matched,${matched.paymentCode},12345,CNY,SUCCESS,${paidAt}`,
      `T-unpaid,${unpaid.paymentCode},12345,CNY,SUCCESS,${paidAt}`,
      `T-mismatch,${mismatch.paymentCode},99999,CNY,SUCCESS,${paidAt}`,
      `T-unknown,12345678901234567890,500,CNY,SUCCESS,${paidAt}`,
      'T-bad,not-a-code,1,CNY,SUCCESS,yesterday',
    ].join('\n');

    const report = await reconcile('bank', '2026-11-30', csv, world.deps, 'r');
    expect(report.matched).toEqual([
      { orderId: matched.orderId, paymentCode: matched.paymentCode, channelTxnId: 'T-matched', amountFen: 12_345 },
    ]);
    expect(report.notPaidHere).toEqual([
      {
        channelTxnId: 'T-unpaid',
        paymentCode: unpaid.paymentCode,
        amountFen: 12_345,
        orderStatus: 'PAID',
        repaired: true,
      },
      {
        channelTxnId: 'T-unknown',
        paymentCode: '12345678901234567890',
        amountFen: 500,
        repaired: false,
        flag: 'unknown-payment-code',
      },
    ]);
    expect(report.missingFromStatement).toEqual([
      { orderId: missing.orderId, paymentCode: missing.paymentCode, channelTxnId: 'T-missing', amountFen: 12_345 },
    ]);
    expect(report.amountMismatches).toEqual([
      {
        orderId: mismatch.orderId,
        paymentCode: mismatch.paymentCode,
        channelTxnId: 'T-mismatch',
        amountFen: 99_999,
        orderAmountFen: 12_345,
      },
    ]);
    expect(report.invalidLines.map((line) => line.line)).toEqual([6]);
    // The repair went through the callback's path: PAID once, one settlement event.
    expect(world.orders.get(unpaid.orderId)!.status).toBe('PAID');
    expect(world.published.map((event) => event.orderId).sort()).toEqual(
      [matched.orderId, missing.orderId, unpaid.orderId].sort(),
    );
    expect(world.orders.get(mismatch.orderId)!.status).toBe('PENDING');

    const before = { txns: world.txns.size, flags: world.flags.length, published: world.published.length };
    expect(await reconcile('bank', '2026-11-30', csv, world.deps, 'r')).toEqual(report);
    expect({ txns: world.txns.size, flags: world.flags.length, published: world.published.length }).toEqual(before);
  });

  it('a payment written but never announced (the queue was down) gets its settlement and audit from the statement', async () => {
    const world = paymentsWorld();
    const order = await world.order();
    world.setQueueDown(true);
    await expect(
      receiveCallback('bank', genericCallback(pay(order.paymentCode, 'T-owed')), world.deps, { requestId: 'r' }),
    ).rejects.toThrow();
    world.setQueueDown(false);
    expect(world.published).toEqual([]);
    const csv = [
      'channelTxnId,paymentCode,amountFen,currency,status,paidAt',
      `T-owed,${order.paymentCode},12345,CNY,SUCCESS,${paidAt}`,
    ];
    const report = await reconcile('bank', '2026-11-30', csv.join('\n'), world.deps, 'r');
    expect(report.matched.map((line) => line.orderId)).toEqual([order.orderId]);
    expect(world.published.map((event) => event.orderId)).toEqual([order.orderId]);
    expect(world.audits.filter((audit) => audit.action === 'payments.order.paid')).toHaveLength(1);
    // Marked sent: a rerun and a late repeat of the callback send nothing more.
    const sent = world.sends();
    await reconcile('bank', '2026-11-30', csv.join('\n'), world.deps, 'r');
    await receiveCallback('bank', genericCallback(pay(order.paymentCode, 'T-owed')), world.deps, { requestId: 'r' });
    expect(world.sends()).toBe(sent);
  });

  it('reports a statement CSV cannot read (an unclosed quote) instead of throwing, and compares nothing', async () => {
    const world = paymentsWorld();
    const paid = await world.order();
    await receiveCallback('bank', genericCallback(pay(paid.paymentCode, 'T-1')), world.deps, { requestId: 'r' });
    const report = await reconcile('bank', '2026-11-30', 'channelTxnId,paymentCode\n"abc', world.deps, 'r');
    expect(report.unreadable).toMatchObject({ line: 2 });
    expect(report.unreadable!.error).toMatch(/quote/i);
    expect([report.matched, report.notPaidHere, report.missingFromStatement]).toEqual([[], [], []]);
    expect(world.audits.at(-1)).toMatchObject({ action: 'payments.reconcile', outcome: 'denied' });
  });

  it('a line with more or fewer columns than the header is an invalid line, the others are reconciled', async () => {
    const world = paymentsWorld();
    const paid = await world.order();
    await receiveCallback('bank', genericCallback(pay(paid.paymentCode, 'T-1')), world.deps, { requestId: 'r' });
    const csv = [
      'channelTxnId,paymentCode,amountFen,currency,status,paidAt',
      `T-1,${paid.paymentCode},12345,CNY,SUCCESS,${paidAt},extra`,
      'T-2,1',
      `T-1,${paid.paymentCode},12345,CNY,SUCCESS,${paidAt}`,
    ].join('\n');
    const report = await reconcile('bank', '2026-11-30', csv, world.deps, 'r');
    expect(report.invalidLines).toEqual([
      { line: 2, errors: ['expected 6 columns, found 7'] },
      { line: 3, errors: ['expected 6 columns, found 2'] },
    ]);
    expect(report.matched.map((line) => line.orderId)).toEqual([paid.orderId]);
  });

  it('reads statement keys and names report keys', () => {
    expect(statementOf('statements/bank/2026-11-30.csv')).toEqual({ channel: 'bank', date: '2026-11-30' });
    expect(statementOf('statements/bank/2026-13-40.csv')).toBeUndefined();
    expect(statementOf('statements/../2026-11-30.csv')).toBeUndefined();
    expect(statementOf('reconciliation/bank/2026-11-30.json')).toBeUndefined();
    expect(reportKey('bank', '2026-11-30')).toBe('reconciliation/bank/2026-11-30.json');
  });
});
