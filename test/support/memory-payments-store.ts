import type { Flag, Order, RawCallback, TxnRecord } from '../../functions/payments/model.ts';
import type { NoticeWrite, PaymentsStore } from '../../functions/payments/ports.ts';
import { businessDate } from '../../functions/payments/use-cases/decide.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const copy = <T>(value: T): T => structuredClone(value);

/** The payments store in memory, with the DynamoDB adapter's conditions; each call yields first, so races interleave. */
export function memoryPaymentsStore() {
  const orders = new Map<string, Order>();
  const txns = new Map<string, TxnRecord>();
  const callbacks: RawCallback[] = [];
  const flags: Flag[] = [];
  const txnKey = (t: Pick<TxnRecord, 'channel' | 'kind' | 'channelTxnId'>) =>
    `${t.channel}#${t.kind}#${t.channelTxnId}`;
  let down = false;
  const reach = async () => {
    await tick();
    if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError', $metadata: {} });
  };
  const store: PaymentsStore = {
    async createOrder(order) {
      await reach();
      if (orders.has(order.orderId)) return 'exists';
      orders.set(order.orderId, copy(order));
      return 'created';
    },
    async order(orderId) {
      await reach();
      return copy(orders.get(orderId));
    },
    async orderAndTxn(orderId, txn) {
      await reach();
      return { order: copy(orderId ? orders.get(orderId) : undefined), txn: copy(txns.get(txnKey(txn))) };
    },
    async applyNotice(write: NoticeWrite) {
      await reach();
      if (txns.has(txnKey(write.txn))) return 'txn-exists';
      const transition = write.transition;
      if (transition) {
        const order = orders.get(transition.orderId);
        if (!order || order.status !== transition.from) return 'order-changed';
        orders.set(transition.orderId, { ...order, ...copy(transition.set), status: transition.to });
      }
      txns.set(txnKey(write.txn), copy(write.txn));
      if (write.flag) flags.push(copy(write.flag));
      return 'applied';
    },
    async markAnnounced(txn) {
      await reach();
      const record = txns.get(txnKey(txn));
      if (record) txns.set(txnKey(txn), { ...record, announced: true });
    },
    async transition(orderId, from, to, set = {}) {
      await reach();
      const order = orders.get(orderId);
      if (!order || order.status !== from) return false;
      orders.set(orderId, { ...order, ...copy(set), status: to });
      return true;
    },
    async setReceipt(orderId, receiptId) {
      await reach();
      const order = orders.get(orderId);
      if (!order || order.receiptId) return false;
      orders.set(orderId, { ...order, receiptId });
      return true;
    },
    async recordCallback(raw) {
      await reach();
      callbacks.push(copy(raw));
    },
    async putFlag(flag) {
      await reach();
      flags.push(copy(flag));
    },
    async paidOn(channel, date) {
      await reach();
      return [...orders.values()]
        .filter((order) => order.paid?.channel === channel && businessDate(order.paid.paidAt) === date)
        .sort((a, b) => a.orderId.localeCompare(b.orderId))
        .map(copy);
    },
  };
  return {
    store,
    orders,
    txns,
    callbacks,
    flags,
    setDown(value: boolean) {
      down = value;
    },
  };
}
