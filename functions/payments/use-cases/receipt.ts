import { createHash } from 'node:crypto';
import type { SettledEvent } from '../model.ts';
import type { PaymentsDeps, ReceiptIssuer } from '../ports.ts';

/**
 * The event is sent only after its order's write committed (use-cases/settle.ts), so this happens
 * only when the consumer reads a replica that has not caught up (the write failed over to the
 * other region): the message comes back after the queue's visibility timeout.
 */
export class NotSettledYetError extends Error {
  override name = 'NotSettledYetError';
}

/**
 * The `payment.settled` consumer: issues the electronic payment receipt through the licences
 * capability (idempotent there on matterId = orderId), audits it, and records it on the order
 * once. A redelivery, or a second event for the same order, finds the receipt and does nothing;
 * a crash between issuing and recording asks licences again, which answers the same receipt.
 */
export async function issueReceipt(
  event: SettledEvent,
  deps: Pick<PaymentsDeps, 'store' | 'audit'> & { receipts: ReceiptIssuer },
  requestId: string,
): Promise<{ receiptId: string; issued: boolean }> {
  const order = await deps.store.order(event.orderId);
  if (!order?.paid) throw new NotSettledYetError(`order ${event.orderId} is not PAID (yet)`);
  if (order.receiptId) return { receiptId: order.receiptId, issued: false };
  const { receiptId } = await deps.receipts.issue(order);
  await deps.audit({
    eventId: createHash('sha256').update(`receipt\u0000${order.orderId}\u0000${receiptId}`).digest('hex').slice(0, 32),
    actor: { kind: 'system', id: 'payments-receipts' },
    action: 'payments.receipt.issue',
    resource: `payment-order/${order.orderId}`,
    outcome: 'success',
    requestId,
  });
  const recorded = await deps.store.setReceipt(order.orderId, receiptId);
  return { receiptId, issued: recorded };
}
