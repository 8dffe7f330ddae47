import type { EmitAudit } from '../../../shared/audit.ts';
import type { LicenceType } from '../catalogue.ts';
import type { SealAlg, SealJwk } from '../domain/seal.ts';
import type { DocumentArchive, LicenceStore, Notify, SealSigner } from '../ports.ts';

/** Everything the use cases need, as ports: the handler gives the real adapters, tests fakes. */
export interface LicencesDeps {
  catalogue: ReadonlyMap<string, LicenceType>;
  store: LicenceStore;
  archive: DocumentArchive;
  notify: Notify;
  audit: EmitAudit;
  /** Our seal keys by algorithm (the first of each signs); `defaultAlg` when a request names none. */
  signers: ReadonlyMap<SealAlg, SealSigner>;
  defaultAlg: SealAlg;
  /** Our earlier (rotated-out) seal keys: published, no longer sealing. */
  retired: readonly SealSigner[];
  /** The trusted external issuers' keys (the trust list). */
  otherKeys: readonly SealJwk[];
  /** Our sealing issuer id (seal.issuer, document.issuer.id). */
  ourIssuer: string;
  /** The API's public base URL (verify links, status lists, credential ids). */
  publicUrl: string;
  now: () => Date;
  newLicenceId: () => string;
}

/** Who is calling, from the access token the authorizer verified. */
export interface Caller {
  sub: string;
  clientId: string;
  scopes: string[];
  department?: string;
  requestId: string;
  sourceIp?: string;
}

export const actorOf = (caller: Caller) => ({
  kind: caller.department ? ('client' as const) : ('citizen' as const),
  id: caller.sub,
  clientId: caller.clientId,
});

/** Every key a verifier may meet: ours (current and earlier) and the trust list's, by kid. */
export async function keyRing(deps: LicencesDeps): Promise<Map<string, SealJwk>> {
  const ours = await Promise.all([...deps.signers.values(), ...deps.retired].map((signer) => signer.publicJwk()));
  return new Map([...deps.otherKeys, ...ours].map((jwk) => [jwk.kid, jwk]));
}
