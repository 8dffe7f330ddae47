/** The records of the payments capability (docs/payments.md). Plain data: no AWS, no I/O. */

export type OrderStatus = 'PENDING' | 'PAID' | 'FAILED' | 'EXPIRED' | 'REFUND_PENDING' | 'REFUNDED';
export const CURRENCY = 'CNY';

export interface Payer {
  kind: 'citizen' | 'enterprise';
  /** Resident ID number or unified social credit code. */
  id: string;
  name: string;
  /**
   * The payer's account (the `sub` of their access tokens), when the department knows it from the
   * matter: identity's tokens name an account, not a resident ID, so this is how a payer reads its order.
   */
  accountId?: string;
}

export interface Order {
  orderId: string;
  paymentCode: string;
  itemCode: string;
  /** The department that raised it (the client's `department` claim). */
  department: string;
  clientId: string;
  payer: Payer;
  amountFen: number;
  currency: typeof CURRENCY;
  description: string;
  matterId?: string;
  status: OrderStatus;
  createdAt: string;
  /** RFC 3339: a PENDING order not paid by then is EXPIRED. */
  payBy: string;
  /** The channel transaction that paid it. */
  paid?: { channel: string; channelTxnId: string; paidAt: string; settledAt: string };
  refund?: { requestedAt: string; reason: string; refundedAt?: string; channelTxnId?: string };
  /** The electronic payment receipt (a licence id), once issued. */
  receiptId?: string;
}

/** What a channel says happened, once its adapter has verified and parsed the notification. */
export interface PaymentNotice {
  channelTxnId: string;
  paymentCode: string;
  amountFen: number;
  currency: string;
  status: 'SUCCESS' | 'FAILED' | 'REFUNDED';
  paidAt: string;
}

/** A payment and its refund are two transactions of a channel even when they share its id. */
export const txnKind = (notice: Pick<PaymentNotice, 'status'>): 'payment' | 'refund' =>
  notice.status === 'REFUNDED' ? 'refund' : 'payment';

export type FlagKind =
  | 'unknown-payment-code'
  | 'amount-mismatch'
  | 'txn-conflict'
  | 'refund-needed'
  | 'unexpected-refund';

/** Something a person must look at: kept, never dropped. */
export interface Flag {
  kind: FlagKind;
  channel: string;
  channelTxnId: string;
  paymentCode: string;
  orderId?: string;
  detail: string;
  at: string;
}

/** How a notification was answered; the same transaction again gets the same answer. */
export interface Outcome {
  status: 200 | 404 | 409;
  orderStatus?: OrderStatus;
  flag?: FlagKind;
  detail?: string;
}

/** A channel transaction as first seen: its id is the idempotency key, its payload is checked on every repeat. */
export interface TxnRecord {
  channel: string;
  kind: 'payment' | 'refund';
  channelTxnId: string;
  paymentCode: string;
  amountFen: number;
  currency: string;
  status: PaymentNotice['status'];
  paidAt: string;
  outcome: Outcome;
  /** `callback`, or `reconciliation` when a statement repaired it. */
  source: 'callback' | 'reconciliation';
  recordedAt: string;
  /**
   * The events this transaction's write owes, kept with it (an outbox): sent after the write, and
   * again by every repeat delivery, since the first may have failed to send them after writing,
   * until reconciliation has sent them once more and marked them `announced`.
   */
  announce?: Announcement;
  announced?: boolean;
}

export interface Announcement {
  settled?: SettledEvent;
  audit?: { action: string; outcome: 'success' | 'denied'; resource: string };
}

/** One delivery to POST /payments/callbacks/{channel}, as it arrived, kept for audit. */
export interface RawCallback {
  callbackId: string;
  channel: string;
  receivedAt: string;
  /** `accepted`, or why not: unknown-channel, missing-signature, bad-signature, stale-timestamp, malformed. */
  verdict: string;
  contentType?: string;
  /** The signature headers only. */
  headers: Record<string, string>;
  body: string;
  sourceIp?: string;
  requestId: string;
}

/** The `payment.settled` event on the settlement queue (grouped and deduplicated by order). */
export interface SettledEvent {
  type: 'payment.settled';
  orderId: string;
  paymentCode: string;
  amountFen: number;
  currency: string;
  channel: string;
  channelTxnId: string;
  paidAt: string;
}
