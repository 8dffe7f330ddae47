import {
  CURRENCY,
  txnKind,
  type Flag,
  type FlagKind,
  type Order,
  type Outcome,
  type PaymentNotice,
  type SettledEvent,
  type TxnRecord,
} from '../model.ts';
import type { NoticeWrite } from '../ports.ts';

/** What one notification does to its order: pure, so every branch is a unit test. */
export interface Decision {
  write: NoticeWrite;
  outcome: Outcome;
  /** Set for a payment that settles the order. */
  settled?: SettledEvent;
}

/** Business days of Chinese channels' statements are Beijing dates (UTC+8). */
export const businessDate = (iso: string): string =>
  new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

export const sameTransaction = (txn: TxnRecord, notice: PaymentNotice): boolean =>
  txn.paymentCode === notice.paymentCode &&
  txn.amountFen === notice.amountFen &&
  txn.currency === notice.currency &&
  txn.status === notice.status;

export function decide(
  channel: string,
  notice: PaymentNotice,
  order: Order | undefined,
  now: Date,
  source: TxnRecord['source'],
): Decision {
  const at = now.toISOString();
  const txnOf = (outcome: Outcome): TxnRecord => ({
    channel,
    kind: txnKind(notice),
    channelTxnId: notice.channelTxnId,
    paymentCode: notice.paymentCode,
    amountFen: notice.amountFen,
    currency: notice.currency,
    status: notice.status,
    paidAt: notice.paidAt,
    outcome,
    source,
    recordedAt: at,
  });
  const flagOf = (kind: FlagKind, detail: string): Flag => ({
    kind,
    channel,
    channelTxnId: notice.channelTxnId,
    paymentCode: notice.paymentCode,
    ...(order ? { orderId: order.orderId } : {}),
    detail,
    at,
  });
  const flagged = (status: Outcome['status'], kind: FlagKind, detail: string, extra: Partial<NoticeWrite> = {}) => {
    const outcome: Outcome = { status, flag: kind, detail, ...(order ? { orderStatus: order.status } : {}) };
    return { write: { txn: txnOf(outcome), flag: flagOf(kind, detail), ...extra }, outcome };
  };
  const unchanged = (): Decision => {
    const outcome: Outcome = { status: 200, orderStatus: order!.status };
    return { write: { txn: txnOf(outcome) }, outcome };
  };

  if (!order) return flagged(404, 'unknown-payment-code', 'no order has this payment code');
  if (notice.currency !== CURRENCY || notice.amountFen !== order.amountFen) {
    return flagged(
      409,
      'amount-mismatch',
      `the channel says ${notice.amountFen} ${notice.currency}; the order is for ${order.amountFen} ${CURRENCY}`,
    );
  }
  const expired = order.status === 'PENDING' && order.payBy <= notice.paidAt && order.payBy <= at;

  if (notice.status === 'SUCCESS') {
    if (order.status === 'PENDING' && !expired) {
      const paid = { channel, channelTxnId: notice.channelTxnId, paidAt: notice.paidAt, settledAt: at };
      const outcome: Outcome = { status: 200, orderStatus: 'PAID' };
      return {
        outcome,
        write: {
          txn: txnOf(outcome),
          transition: { orderId: order.orderId, from: 'PENDING', to: 'PAID', set: { paid } },
        },
        settled: {
          type: 'payment.settled',
          orderId: order.orderId,
          paymentCode: order.paymentCode,
          amountFen: order.amountFen,
          currency: CURRENCY,
          channel,
          channelTxnId: notice.channelTxnId,
          paidAt: notice.paidAt,
        },
      };
    }
    // Money arrived for an order that cannot take it: accepted (the channel must not keep retrying), never dropped.
    const detail =
      order.status === 'PENDING' || order.status === 'EXPIRED'
        ? 'paid after the order expired: refund it'
        : `paid again for an order already ${order.status}: refund it`;
    const outcome: Outcome = {
      status: 200,
      orderStatus: expired ? 'EXPIRED' : order.status,
      flag: 'refund-needed',
      detail,
    };
    return {
      outcome,
      write: {
        txn: txnOf(outcome),
        flag: flagOf('refund-needed', detail),
        ...(expired ? { transition: { orderId: order.orderId, from: 'PENDING', to: 'EXPIRED', set: {} } } : {}),
      },
    };
  }

  if (notice.status === 'FAILED') {
    if (order.status !== 'PENDING') return unchanged();
    const outcome: Outcome = { status: 200, orderStatus: 'FAILED' };
    return {
      outcome,
      write: { txn: txnOf(outcome), transition: { orderId: order.orderId, from: 'PENDING', to: 'FAILED', set: {} } },
    };
  }

  // REFUNDED: only the refund the department asked for.
  if (order.status !== 'REFUND_PENDING')
    return flagged(409, 'unexpected-refund', `a refund for an order that is ${order.status}`);
  const outcome: Outcome = { status: 200, orderStatus: 'REFUNDED' };
  const refund = { ...order.refund!, refundedAt: notice.paidAt, channelTxnId: notice.channelTxnId };
  return {
    outcome,
    write: {
      txn: txnOf(outcome),
      transition: { orderId: order.orderId, from: 'REFUND_PENDING', to: 'REFUNDED', set: { refund } },
    },
  };
}
