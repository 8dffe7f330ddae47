import { createHash } from 'node:crypto';
import type { SettledEvent } from '../model.ts';
import type { PaymentsDeps, ReceiptIssuer } from '../ports.ts';

/** The event was published before its order's write committed (use-cases/settle.ts): retried until it has. */
export class NotSettledYetError extends Error {
  override name = 'NotSettledYetError';
}

/**
 * The `payment.settled` consumer: issues the electronic payment receipt through the licences
 * capability (idempotent there on matterId = orderId), audits it, and records it on the order
 * once. A redelivery, or a second event for the same order, finds the receipt and does nothing;
 * a crash between issuing and recording asks licences again, which answers the same receipt.
 */
/**
 * How long to wait for that write before giving the message back: it usually commits milliseconds
 * after the event was queued, and a message given back returns only after the queue's visibility
 * timeout (3 minutes), so a receipt would otherwise lag its payment by minutes. Records of a batch
 * are processed in parallel (shared/sqs-batch.ts): this bounds the whole invocation too.
 */
export const SETTLE_WAITS_MS = [50, 100, 200, 400, 800];

export async function issueReceipt(
  event: SettledEvent,
  deps: Pick<PaymentsDeps, 'store' | 'audit'> & {
    receipts: ReceiptIssuer;
    sleep?: (ms: number) => Promise<void>;
  },
  requestId: string,
): Promise<{ receiptId: string; issued: boolean }> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let order = await deps.store.order(event.orderId);
  for (const wait of SETTLE_WAITS_MS) {
    if (order?.paid) break;
    await sleep(wait);
    order = await deps.store.order(event.orderId);
  }
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
