import type { LicenceRecord } from '../model.ts';
import { actorOf, type Caller, type LicencesDeps } from './deps.ts';

/** Longer than the function's timeout: past it, the request that made the change has ended. */
export const ANNOUNCE_GRACE_MS = 30_000;
/**
 * Within the grace, how long a replay waits for the request that made the change to announce it: that
 * request announces milliseconds after its commit, unless it failed (a 503 for its client, whose write
 * landed anyway when DynamoDB hung; the audit queue down after the commit). Then the replay, the
 * client's retry, announces, so a retry answered 200 never leaves the change unannounced.
 */
export const ANNOUNCE_WAITS_MS = [50, 100, 200, 400, 800];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * licence.issued / licence.revoked to the audit trail and the notifications queue, once the
 * change is committed, by the request that made it (`made`). Until both are sent the record says
 * so; a retry after that request failed (it has ended: older than ANNOUNCE_GRACE_MS, or it has not
 * announced within ANNOUNCE_WAITS_MS) sends them again with the same event id (the audit writer keeps
 * one event per id). Requests that lost a race to the same change wait for the winner, so 50 racing
 * issues announce once.
 */
export async function announce(
  record: LicenceRecord,
  event: 'issued' | 'revoked',
  caller: Caller,
  deps: LicencesDeps,
  made: boolean,
): Promise<void> {
  if (record.announced[event]) return;
  const time = event === 'issued' ? record.document.issuedAt : (record.revokedAt ?? deps.now().toISOString());
  if (!made && deps.now().getTime() - Date.parse(time) < ANNOUNCE_GRACE_MS) {
    for (const wait of ANNOUNCE_WAITS_MS) {
      await sleep(wait);
      if ((await deps.store.get(record.licenceId))?.announced[event]) {
        record.announced[event] = true;
        return;
      }
    }
  }
  await deps.audit({
    eventId: `licence.${event}:${record.licenceId}`,
    actor: actorOf(caller),
    action: `licence.${event}`,
    resource: `licence/${record.licenceId}`,
    outcome: 'success',
    requestId: caller.requestId,
    sourceIp: caller.sourceIp,
  });
  await deps.notify({
    type: `licence.${event}`,
    licenceId: record.licenceId,
    licenceType: record.document.type,
    issuer: record.issuer,
    holder: record.document.holder,
    time,
    ...(event === 'revoked' && record.revokeReason ? { reason: record.revokeReason } : {}),
  });
  await deps.store.markAnnounced(record.licenceId, event);
  record.announced[event] = true;
}
