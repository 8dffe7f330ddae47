import type { LicenceRecord } from '../model.ts';
import { actorOf, type Caller, type LicencesDeps } from './deps.ts';

/**
 * licence.issued / licence.revoked to the audit trail and the notifications queue, once the
 * change is committed. Until both are sent the record says so, and a retry of the request sends
 * them again with the same event id (the audit writer keeps one event per id).
 */
export async function announce(
  record: LicenceRecord,
  event: 'issued' | 'revoked',
  caller: Caller,
  deps: LicencesDeps,
): Promise<void> {
  if (record.announced[event]) return;
  const time = event === 'issued' ? record.document.issuedAt : (record.revokedAt ?? deps.now().toISOString());
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
