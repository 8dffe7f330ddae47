import { createHash } from 'node:crypto';
import type * as z from 'zod/mini';
import { ConflictError, ForbiddenError, ValidationError } from '../../../shared/errors.ts';
import { canonicalBytes, type SealAlg } from '../domain/seal.ts';
import { type Holder, type LicenceDocument, type LicenceRecord, statusPosition } from '../model.ts';
import { announce } from './announce.ts';
import { actorOf, type Caller, type LicencesDeps } from './deps.ts';

export interface IssueRequest {
  type: string;
  holder: Holder;
  matterId: string;
  data: Record<string, unknown>;
  validFrom?: string;
  validUntil?: string;
  sealAlg?: SealAlg;
}

export interface IssueResult {
  created: boolean;
  record: LicenceRecord;
}

const DAY = 86_400_000;
const fieldErrors = (error: z.core.$ZodError) =>
  error.issues.map((issue) => ({
    path: ['body', 'data', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));

async function refuse(deps: LicencesDeps, caller: Caller, resource: string, why: string): Promise<never> {
  await deps.audit({
    actor: actorOf(caller),
    action: 'licence.issue',
    resource,
    outcome: 'denied',
    requestId: caller.requestId,
    sourceIp: caller.sourceIp,
  });
  throw new ForbiddenError(why);
}

/**
 * Issues a licence when a matter completes. Idempotent on (issuer, matterId): the same payload
 * again answers the licence issued; another payload under that matterId is a conflict. Racing
 * requests are decided by one conditional write (the matter claim), so exactly one licence exists.
 */
export async function issueLicence(request: IssueRequest, caller: Caller, deps: LicencesDeps): Promise<IssueResult> {
  const resource = `licence-matter/${caller.department ?? '-'}/${request.matterId}`;
  if (!caller.scopes.includes('licences:issue'))
    return refuse(deps, caller, resource, 'issuing needs the licences:issue scope');
  const type = deps.catalogue.get(request.type);
  if (!type)
    throw new ValidationError('unknown licence type', [
      { path: 'body.type', message: `no licence type "${request.type}"; see GET /licences/types` },
    ]);
  const department = caller.department;
  if (!department || !type.issuers.includes(department))
    return refuse(deps, caller, resource, `${department ?? 'this client'} may not issue ${type.type}`);
  const data = type.data.safeParse(request.data);
  if (!data.success) throw new ValidationError(`the data is not valid for ${type.type}`, fieldErrors(data.error));
  const sealAlg = request.sealAlg ?? deps.defaultAlg;
  const signer = deps.signers.get(sealAlg);
  if (!signer)
    throw new ValidationError('seal algorithm not available', [
      { path: 'body.sealAlg', message: `this deployment has no ${sealAlg} seal key` },
    ]);

  // The request as given (not the defaults filled in from the clock), so a retry hashes the same.
  const payloadHash = createHash('sha256')
    .update(canonicalBytes({ ...request, matterId: undefined, sealAlg })!)
    .digest('hex');
  const replay = async (existing: LicenceRecord): Promise<IssueResult> => {
    if (existing.payloadHash !== payloadHash)
      throw new ConflictError(
        `matter ${request.matterId} already has licence ${existing.licenceId} with another payload`,
      );
    await announce(existing, 'issued', caller, deps, false);
    return { created: false, record: existing };
  };
  // The status position is taken alongside the matter lookup: a replay leaves a gap in the list, nothing else.
  const [known, index] = await Promise.all([
    deps.store.byMatter(department, request.matterId),
    deps.store.nextStatusIndex(),
  ]);
  if (known) return replay(known);

  const now = deps.now();
  const validFrom = request.validFrom ?? now.toISOString();
  const validUntil =
    request.validUntil ??
    (type.validityDays ? new Date(Date.parse(validFrom) + type.validityDays * DAY).toISOString() : undefined);
  if (validUntil !== undefined && Date.parse(validUntil) <= Date.parse(validFrom))
    throw new ValidationError('the validity period is empty', [
      { path: 'body.validUntil', message: 'must be after validFrom' },
    ]);

  const { listId, bit } = statusPosition(index);
  const licenceId = deps.newLicenceId();
  const listUrl = `${deps.publicUrl}/licences/status/${listId}`;
  const document: LicenceDocument = {
    licenceId,
    type: type.type,
    typeName: type.name,
    issuer: { id: deps.ourIssuer, department },
    holder: request.holder,
    matterId: request.matterId,
    data: data.data as Record<string, unknown>,
    issuedAt: now.toISOString(),
    validFrom,
    ...(validUntil ? { validUntil } : {}),
    credentialStatus: {
      id: `${listUrl}#${bit}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(bit),
      statusListCredential: listUrl,
    },
    verifyUrl: `${deps.publicUrl}/licences/verify?id=${licenceId}`,
  };
  const jwk = await signer.publicJwk();
  const signature = await signer.sign(canonicalBytes(document)!);
  const record: LicenceRecord = {
    licenceId,
    document,
    seal: { alg: signer.alg, kid: jwk.kid, issuer: deps.ourIssuer, signature: signature.toString('base64url') },
    status: 'valid',
    issuer: department,
    matterId: request.matterId,
    payloadHash,
    listId,
    listIndex: bit,
    announced: { issued: false },
  };
  // The record copy first: a licence in the index always has its sealed document in the bucket.
  await deps.archive.put(licenceId, JSON.stringify({ document, seal: record.seal }));
  const outcome = await deps.store.create(record);
  if (!outcome.created) {
    await deps.archive.discard(licenceId).catch(() => undefined); // never referenced; best effort
    return replay(outcome.existing);
  }
  await announce(record, 'issued', caller, deps, true);
  return { created: true, record };
}
