import canonicalizeModule from 'canonicalize';
import { createHash } from 'node:crypto';
import { verifyEs256 } from '../../../shared/crypto/signer.ts';
import { sm2PublicKey, sm2Verify } from './sm2.ts';

/** The seal algorithms of the contract: GB/T 32918 SM2 with SM3, or ECDSA P-256 with SHA-256. */
export const SEAL_ALGS = ['SM2-SM3', 'ES256'] as const;
export type SealAlg = (typeof SEAL_ALGS)[number];

/** A published seal key (GET /licences/seal-keys). */
export interface SealJwk {
  kty: 'EC';
  crv: 'SM2' | 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: SealAlg;
  /** Who seals with it: our platform, or a trusted external issuer. */
  issuer: string;
}

/** `{ alg, kid, issuer, signature }`: signature is base64url DER over the RFC 8785 form of the document. */
export interface Seal {
  alg: SealAlg;
  kid: string;
  issuer: string;
  signature: string;
}

// A CommonJS package typed as an ES module: its default export is the module itself at run time.
const canonicalize = ((canonicalizeModule as unknown as { default?: unknown }).default ??
  canonicalizeModule) as unknown as (input: unknown) => string | undefined;

/** RFC 8785 (JCS) bytes of a JSON value; undefined for what JSON cannot hold (NaN, cycles, …). */
export function canonicalBytes(value: unknown): Buffer | undefined {
  try {
    const text = canonicalize(value);
    return text === undefined ? undefined : Buffer.from(text, 'utf8');
  } catch {
    return undefined;
  }
}

/** RFC 7638 thumbprint: the kid is derived from the key, so a kid cannot name another key. */
export const thumbprintOf = (jwk: Pick<SealJwk, 'crv' | 'x' | 'y'>): string =>
  createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y }))
    .digest('base64url');

/** Uncompressed SM2 point (hex) ↔ JWK coordinates. */
export const sm2PointHex = (jwk: Pick<SealJwk, 'x' | 'y'>): string =>
  `04${Buffer.from(jwk.x, 'base64url').toString('hex').padStart(64, '0')}${Buffer.from(jwk.y, 'base64url').toString('hex').padStart(64, '0')}`;
export const jwkCoordinatesOf = (pointHex: string): { x: string; y: string } => ({
  x: Buffer.from(pointHex.slice(2, 66), 'hex').toString('base64url'),
  y: Buffer.from(pointHex.slice(66, 130), 'hex').toString('base64url'),
});

/** The curve an algorithm seals on. */
export const curveOf = (alg: SealAlg): SealJwk['crv'] => (alg === 'SM2-SM3' ? 'SM2' : 'P-256');

/** Checks a DER signature with a published key; false for anything malformed, never a throw. */
export function verifySignature(jwk: SealJwk, data: Buffer, signature: Buffer): boolean {
  try {
    if (jwk.alg === 'SM2-SM3') {
      const key = sm2PublicKey(sm2PointHex(jwk));
      return key !== undefined && sm2Verify(key, data, signature);
    }
    return verifyEs256({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, data, signature);
  } catch {
    return false;
  }
}
