import { ForbiddenError, NotFoundError } from '../../../shared/errors.ts';
import type { Holder, LicenceRecord } from '../model.ts';
import { announce } from './announce.ts';
import { actorOf, type Caller, type LicencesDeps } from './deps.ts';

export const sameHolder = (a: Holder | undefined, b: Holder) => a !== undefined && a.kind === b.kind && a.id === b.id;

/**
 * A licence as its holder or its issuing department may see it; anyone else is refused (and the
 * refusal audited). An unknown id is a 404 for everyone: the id space is too large to probe.
 */
export async function licenceFor(
  licenceId: string,
  caller: Caller,
  holder: () => Promise<Holder | undefined>,
  action: string,
  deps: Pick<LicencesDeps, 'store' | 'audit'>,
  { issuerOnly = false } = {},
): Promise<LicenceRecord> {
  const record = await deps.store.get(licenceId);
  if (!record) throw new NotFoundError(`no licence ${licenceId}`);
  const isIssuer = caller.department !== undefined && caller.department === record.issuer;
  const allowed = isIssuer || (!issuerOnly && !caller.department && sameHolder(await holder(), record.document.holder));
  if (!allowed) {
    await deps.audit({
      actor: actorOf(caller),
      action,
      resource: `licence/${licenceId}`,
      outcome: 'denied',
      requestId: caller.requestId,
      sourceIp: caller.sourceIp,
    });
    throw new ForbiddenError(
      issuerOnly ? 'only the issuing department may do this' : 'only the holder or the issuer may see this licence',
    );
  }
  return record;
}

/** Revokes (issuer only). Revoking again answers the revoked licence; the reason given first stays. */
export async function revokeLicence(
  licenceId: string,
  reason: string,
  caller: Caller,
  deps: LicencesDeps,
): Promise<LicenceRecord> {
  const record = await licenceFor(licenceId, caller, async () => undefined, 'licence.revoke', deps, {
    issuerOnly: true,
  });
  const made =
    record.status !== 'revoked' &&
    (await deps.store.revoke(licenceId, record.listId, record.listIndex, reason, deps.now().toISOString()));
  const current = (await deps.store.get(licenceId))!;
  await announce(current, 'revoked', caller, deps, made);
  return current;
}

export const summaryOf = (record: LicenceRecord) => ({
  licenceId: record.licenceId,
  type: record.document.type,
  typeName: record.document.typeName,
  issuer: record.issuer,
  status: record.status,
  issuedAt: record.document.issuedAt,
  validFrom: record.document.validFrom,
  ...(record.document.validUntil ? { validUntil: record.document.validUntil } : {}),
});
