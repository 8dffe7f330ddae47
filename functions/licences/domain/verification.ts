import type { LicenceType } from '../catalogue.ts';
import type { LicenceStatus } from '../model.ts';
import { canonicalBytes, SEAL_ALGS, type SealJwk, verifySignature } from './seal.ts';

export interface Checks {
  seal: boolean;
  issuerTrusted: boolean;
  inValidity: boolean;
  notRevoked: boolean;
}

export interface Verdict {
  valid: boolean;
  checks: Checks;
  /** One sentence per failed check. */
  reasons: string[];
}

export interface VerificationContext {
  /** Our keys and the trusted external issuers' keys, by kid. */
  keys: ReadonlyMap<string, SealJwk>;
  /** Our sealing issuer id; the others in `keys` are external issuers of the trust list. */
  ourIssuer: string;
  catalogue: ReadonlyMap<string, LicenceType>;
  now: Date;
  /** The status on record of one of our licences (undefined: not on record). */
  statusOf(licenceId: string, signature: string): Promise<LicenceStatus | undefined>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const BASE64URL = /^[A-Za-z0-9_-]{1,200}$/;
const instant = (value: unknown): number | undefined => {
  const text = str(value);
  if (!text || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
};

/**
 * Checks a presented licence: the seal over its RFC 8785 form, the issuer against our
 * departments and the trust list, the validity period, and revocation. Any input, however
 * forged or malformed, gets a verdict naming each failed check; nothing here throws.
 */
export async function verifyLicence(document: unknown, seal: unknown, context: VerificationContext): Promise<Verdict> {
  const reasons: string[] = [];
  const doc = isObject(document) ? document : {};
  const presented = isObject(seal) ? seal : {};
  const alg = str(presented.alg);
  const kid = str(presented.kid);
  const sealIssuer = str(presented.issuer);
  const signature = str(presented.signature);
  const key = kid ? context.keys.get(kid) : undefined;
  const docIssuer = isObject(doc.issuer) ? doc.issuer : {};

  let sealOk = false;
  if (!isObject(document)) reasons.push('seal: the document is not a JSON object');
  else if (!alg || !(SEAL_ALGS as readonly string[]).includes(alg))
    reasons.push('seal: the seal algorithm is not SM2-SM3 or ES256');
  else if (!key) reasons.push('seal: the seal names a key that is neither ours nor on the trust list');
  else if (key.alg !== alg) reasons.push(`seal: key ${kid} is a ${key.alg} key, not ${alg}`);
  else if (sealIssuer !== key.issuer) reasons.push(`seal: key ${kid} belongs to another issuer`);
  else if (!signature || !BASE64URL.test(signature)) reasons.push('seal: the signature is not base64url');
  else {
    const bytes = canonicalBytes(document);
    sealOk = bytes !== undefined && verifySignature(key, bytes, Buffer.from(signature, 'base64url'));
    if (!sealOk) reasons.push('seal: the signature does not match the document');
  }

  let trusted = false;
  const type = str(doc.type);
  if (!key) reasons.push(`issuerTrusted: issuer ${sealIssuer ?? '(none)'} is not on the trust list`);
  else if (str(docIssuer.id) !== key.issuer)
    reasons.push('issuerTrusted: the document names another issuer than its seal');
  else if (key.issuer === context.ourIssuer) {
    const entry = type ? context.catalogue.get(type) : undefined;
    const department = str(docIssuer.department);
    trusted = entry !== undefined && department !== undefined && entry.issuers.includes(department);
    if (!trusted)
      reasons.push(`issuerTrusted: ${department ?? '(no department)'} may not issue ${type ?? '(no type)'}`);
  } else trusted = true;

  const now = context.now.getTime();
  const from = instant(doc.validFrom);
  const until = doc.validUntil === undefined ? Number.POSITIVE_INFINITY : instant(doc.validUntil);
  const inValidity = from !== undefined && until !== undefined && from <= now && now < until;
  if (!inValidity)
    reasons.push(
      from === undefined || until === undefined
        ? 'inValidity: the validity period is missing or malformed'
        : now < from
          ? 'inValidity: the licence is not valid yet'
          : 'inValidity: the licence has expired',
    );

  let notRevoked = true;
  if (key && key.issuer === context.ourIssuer && sealOk) {
    const licenceId = str(doc.licenceId);
    const status = licenceId ? await context.statusOf(licenceId, signature!) : undefined;
    notRevoked = status === 'valid';
    if (status === 'revoked') reasons.push('notRevoked: the licence has been revoked');
    else if (status === undefined) reasons.push('notRevoked: the licence is not on record');
  } else if (key && key.issuer === context.ourIssuer) {
    notRevoked = false;
    reasons.push('notRevoked: a licence whose seal fails has no status to check');
  }

  const checks = { seal: sealOk, issuerTrusted: trusted, inValidity, notRevoked };
  return { valid: Object.values(checks).every(Boolean), checks, reasons };
}
