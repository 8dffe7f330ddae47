import { ConflictError } from '../../../shared/errors.ts';
import { logger } from '../../../shared/observability.ts';
import { txnKind, type Outcome, type PaymentNotice, type TxnRecord } from '../model.ts';
import { isValidPaymentCode, orderIdOf } from '../payment-code.ts';
import type { PaymentsDeps } from '../ports.ts';
import { decide, sameTransaction } from './decide.ts';
import { createHash } from 'node:crypto';

/** An audit event id that is the same for every delivery of one transaction: the writer keeps it once. */
const auditId = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/**
 * Applies a verified notification (a callback, or a statement line being repaired) exactly once.
 *
 * The transaction id is the idempotency key: a repeat answers the first outcome when its payload is
 * the same, and 409 when it is not. The settlement event and the audit event go out BEFORE the
 * one conditional write that records the transaction and moves the order (shared/audit.ts: a
 * change whose event cannot be queued must not happen); both are deduplicated (the event by order
 * on the FIFO queue, the audit event by its id), so a loser of a race or a retry adds nothing.
 * A queue that is down → 503 and nothing written; DynamoDB down at the write → 503 and the
 * channel's retry completes it (the consumer waits for the order to be PAID).
 */
export async function settleNotice(
  channel: string,
  notice: PaymentNotice,
  deps: PaymentsDeps,
  context: { requestId: string; source: TxnRecord['source'] },
): Promise<Outcome> {
  const orderId = isValidPaymentCode(notice.paymentCode) ? orderIdOf(notice.paymentCode) : undefined;
  const key = { channel, kind: txnKind(notice), channelTxnId: notice.channelTxnId };
  // Three rounds cover every race: each lost round means another writer applied something final.
  for (let round = 0; round < 3; round++) {
    const { order, txn } = await deps.store.orderAndTxn(orderId, key);
    if (txn) {
      if (sameTransaction(txn, notice)) return txn.outcome;
      const detail = `transaction ${notice.channelTxnId} was first reported as ${txn.amountFen} ${txn.currency} ${txn.status}`;
      await deps.store.putFlag({
        kind: 'txn-conflict',
        channel,
        channelTxnId: notice.channelTxnId,
        paymentCode: notice.paymentCode,
        ...(txn.outcome.orderStatus ? { orderId } : {}),
        detail,
        at: deps.now().toISOString(),
      });
      await auditDecision(deps, context, channel, notice, 'denied', 'payments.callback.conflict');
      throw new ConflictError(`${detail}; the same id with another payload is refused and flagged`);
    }
    const decision = decide(channel, notice, order, deps.now(), context.source);
    // Independent of each other, both before the write: sent together (one round trip's wait, not two).
    const events: Promise<unknown>[] = [];
    if (decision.settled) events.push(deps.publish(decision.settled));
    if (decision.write.transition || decision.write.flag) {
      const action = decision.write.transition
        ? `payments.order.${decision.write.transition.to.toLowerCase()}`
        : `payments.callback.${decision.outcome.flag}`;
      const outcome = decision.outcome.status === 200 ? 'success' : 'denied';
      events.push(auditDecision(deps, context, channel, notice, outcome, action, orderId));
    }
    await Promise.all(events);
    const result = await deps.store.applyNotice(decision.write);
    if (result === 'applied') return decision.outcome;
    logger.info('lost a race for a payment notice; reading it again', { channel, result, round });
  }
  throw new Error(`payment notice ${channel}/${notice.channelTxnId} kept racing`);
}

function auditDecision(
  deps: PaymentsDeps,
  context: { requestId: string; source: TxnRecord['source'] },
  channel: string,
  notice: PaymentNotice,
  outcome: 'success' | 'denied',
  action: string,
  orderId?: string,
) {
  return deps.audit({
    eventId: auditId(channel, notice.channelTxnId, notice.status, action),
    actor: { kind: 'system', id: `channel:${channel}` },
    action,
    resource: orderId ? `payment-order/${orderId}` : `payment-code/${notice.paymentCode}`,
    outcome,
    requestId: context.requestId,
  });
}
