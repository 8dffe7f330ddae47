import { createHash } from 'node:crypto';
import { ConflictError } from '../../../shared/errors.ts';
import { logger } from '../../../shared/observability.ts';
import { txnKind, type Announcement, type Outcome, type PaymentNotice, type TxnRecord } from '../model.ts';
import { isValidPaymentCode, orderIdOf } from '../payment-code.ts';
import type { PaymentsDeps } from '../ports.ts';
import { decide, sameTransaction, type Decision } from './decide.ts';

/** An audit event id that is the same for every delivery of one transaction: the writer keeps it once. */
const auditId = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

interface NoticeContext {
  requestId: string;
  source: TxnRecord['source'];
}

/**
 * Applies a verified notification (a callback, or a statement line being repaired) exactly once.
 *
 * The transaction id is the idempotency key: a repeat answers the first outcome when its payload is
 * the same, and 409 when it is not. The ONE conditional write that records the transaction and
 * moves the order comes first; its settlement and audit events are kept on the transaction record
 * and sent after it (shared/audit.ts: an event claims only a change that happened). Events that
 * could not be sent answer 503, and the channel's retry, or any repeat, sends them again. Both are
 * deduplicated downstream (the settlement by order on the FIFO queue and by the receipt on the
 * order, the audit event by its id), so a racer or a retry that sends them again adds nothing.
 * Marking them sent would cost every racer a write to the same item; a repeat's two sends do not.
 * Reconciliation, which runs once a day with no racers, sends them a last time and marks them
 * (announceOwed), after which repeats only read.
 */
export async function settleNotice(
  channel: string,
  notice: PaymentNotice,
  deps: PaymentsDeps,
  context: NoticeContext,
): Promise<Outcome> {
  const orderId = isValidPaymentCode(notice.paymentCode) ? orderIdOf(notice.paymentCode) : undefined;
  const key = { channel, kind: txnKind(notice), channelTxnId: notice.channelTxnId };
  // Three rounds cover every race: each lost round means another writer applied something final.
  for (let round = 0; round < 3; round++) {
    const { order, txn } = await deps.store.orderAndTxn(orderId, key);
    if (txn) {
      if (!sameTransaction(txn, notice)) return refuseConflict(channel, notice, txn, deps, context, orderId);
      // The first delivery may have written and then failed to send: every repeat sends again.
      if (txn.announce && !txn.announced) await announce(txn.announce, channel, notice, deps, context);
      return txn.outcome;
    }
    const decision = decide(channel, notice, order, deps.now(), context.source);
    const announcement = announcementOf(decision, orderId, notice);
    const result = await deps.store.applyNotice({
      ...decision.write,
      txn: { ...decision.write.txn, ...(announcement ? { announce: announcement } : {}) },
    });
    if (result === 'applied') {
      if (announcement) await announce(announcement, channel, notice, deps, context);
      return decision.outcome;
    }
    logger.info('lost a race for a payment notice; reading it again', { channel, result, round });
  }
  throw new Error(`payment notice ${channel}/${notice.channelTxnId} kept racing`);
}

/** Reconciliation's backstop for a recorded transaction: sends what it owes once more and marks it sent. */
export async function announceOwed(
  channel: string,
  notice: PaymentNotice,
  txn: TxnRecord,
  deps: PaymentsDeps,
  context: NoticeContext,
): Promise<void> {
  if (!txn.announce || txn.announced) return;
  await announce(txn.announce, channel, notice, deps, context);
  await deps.store.markAnnounced(txn);
}

/** The same transaction id with another payload: flagged, audited as denied, refused. */
async function refuseConflict(
  channel: string,
  notice: PaymentNotice,
  txn: TxnRecord,
  deps: PaymentsDeps,
  context: NoticeContext,
  orderId: string | undefined,
): Promise<never> {
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
  const resource = orderId ? `payment-order/${orderId}` : `payment-code/${notice.paymentCode}`;
  await announce(
    { audit: { action: 'payments.callback.conflict', outcome: 'denied', resource } },
    channel,
    notice,
    deps,
    context,
  );
  throw new ConflictError(`${detail}; the same id with another payload is refused and flagged`);
}

/** What a decision's write owes the world: the settlement, and an audit event for a change or a flag. */
function announcementOf(
  decision: Decision,
  orderId: string | undefined,
  notice: PaymentNotice,
): Announcement | undefined {
  const { transition, flag } = decision.write;
  if (!transition && !flag) return decision.settled ? { settled: decision.settled } : undefined;
  const action = transition ? `payments.order.${transition.to.toLowerCase()}` : `payments.callback.${flag!.kind}`;
  const resource = orderId ? `payment-order/${orderId}` : `payment-code/${notice.paymentCode}`;
  const outcome = decision.outcome.status === 200 ? 'success' : 'denied';
  return { ...(decision.settled ? { settled: decision.settled } : {}), audit: { action, outcome, resource } };
}

/** Sends the two independent events together: one round trip's wait, not two. */
async function announce(
  announcement: Announcement,
  channel: string,
  notice: PaymentNotice,
  deps: PaymentsDeps,
  context: NoticeContext,
): Promise<void> {
  const { settled, audit } = announcement;
  await Promise.all([
    settled && deps.publish(settled),
    audit &&
      deps.audit({
        eventId: auditId(channel, notice.channelTxnId, notice.status, audit.action),
        actor: { kind: 'system', id: `channel:${channel}` },
        action: audit.action,
        resource: audit.resource,
        outcome: audit.outcome,
        requestId: context.requestId,
      }),
  ]);
}
