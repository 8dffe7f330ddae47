import type { EmitAudit } from '../../shared/audit.ts';
import type { Flag, Order, OrderStatus, RawCallback, SettledEvent, TxnRecord } from './model.ts';

/**
 * One notification's effect, written as ONE conditional write: the transaction record (only if
 * its id is new), the order's transition (only if the order is still in `from`), and a flag. Two sandboxes racing, a retried request and a
 * reconciliation repair all meet at this write; only one of them applies it.
 */
export interface NoticeWrite {
  txn: TxnRecord;
  transition?: {
    orderId: string;
    from: OrderStatus;
    to: OrderStatus;
    set: Partial<Pick<Order, 'paid' | 'refund'>>;
  };
  flag?: Flag;
}

export type WriteResult = 'applied' | 'txn-exists' | 'order-changed';

export interface PaymentsStore {
  /** 'exists' when the order id (its payment code) is taken; nothing is written then. */
  createOrder(order: Order): Promise<'created' | 'exists'>;
  order(orderId: string): Promise<Order | undefined>;
  /** The order and the channel transaction, in one round trip. */
  orderAndTxn(
    orderId: string | undefined,
    txn: Pick<TxnRecord, 'channel' | 'kind' | 'channelTxnId'>,
  ): Promise<{
    order?: Order;
    txn?: TxnRecord;
  }>;
  applyNotice(write: NoticeWrite): Promise<WriteResult>;
  /** Records that a transaction's events were sent (TxnRecord.announced). */
  markAnnounced(txn: Pick<TxnRecord, 'channel' | 'kind' | 'channelTxnId'>): Promise<void>;
  /** PENDING → EXPIRED, or PAID → REFUND_PENDING: conditional on the current status; false when it was not `from`. */
  transition(
    orderId: string,
    from: OrderStatus,
    to: OrderStatus,
    set?: Partial<Pick<Order, 'refund'>>,
  ): Promise<boolean>;
  /** Records the receipt once; false when the order has one already. */
  setReceipt(orderId: string, receiptId: string): Promise<boolean>;
  recordCallback(raw: RawCallback): Promise<void>;
  putFlag(flag: Flag): Promise<void>;
  /** Orders a channel paid on a business day (Beijing time), for reconciliation. */
  paidOn(channel: string, date: string): Promise<Order[]>;
}

/** The FIFO settlement queue: grouped by order and deduplicated on it, so an order is settled once. */
export type PublishSettlement = (event: SettledEvent) => Promise<void>;

/** Issues the electronic payment receipt (the licences capability); idempotent on the order. */
export interface ReceiptIssuer {
  issue(order: Order): Promise<{ receiptId: string }>;
}

export interface PaymentsDeps {
  store: PaymentsStore;
  publish: PublishSettlement;
  audit: EmitAudit;
  now: () => Date;
}
