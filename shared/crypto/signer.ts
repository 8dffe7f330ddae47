import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A public key as published: JWK plus its id and algorithm. */
export type PublicJwk = JsonWebKey & { kid: string; alg: 'ES256' };

/**
 * The signer port. Adapters: a KMS asymmetric key (ECC_NIST_P256) in the cloud and on
 * LocalStack, a key file under .local/ for the embedded runtime. Signatures are DER ECDSA.
 */
export interface Signer {
  readonly alg: 'ES256';
  kid(): Promise<string>;
  sign(data: Buffer): Promise<Buffer>;
  publicJwk(): Promise<PublicJwk>;
}

/** RFC 7638 thumbprint: the kid is derived from the key, so it cannot disagree with it. */
export function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function publicJwkOf(key: KeyObject): PublicJwk {
  const { kty, crv, x, y } = createPublicKey(key).export({ format: 'jwk' });
  const jwk = { kty, crv, x, y };
  return { ...jwk, kid: thumbprint(jwk), alg: 'ES256' };
}

// Parsing a JWK into a key object costs more than a verification: keep them.
const publicKeys = new Map<string, KeyObject>();
export const publicKeyOf = (jwk: JsonWebKey): KeyObject => {
  const id = `${jwk.crv}:${jwk.x}:${jwk.y}`;
  let key = publicKeys.get(id);
  if (!key) {
    key = createPublicKey({ key: jwk, format: 'jwk' });
    if (publicKeys.size > 64) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
};

/** ES256 with a DER signature (what KMS and node:crypto produce, and audit digests carry). */
export function verifyEs256(jwk: JsonWebKey, data: Buffer, derSignature: Buffer): boolean {
  try {
    return verify('sha256', data, publicKeyOf(jwk), derSignature);
  } catch {
    return false;
  }
}

/** PEM file holding a P-256 private key (PKCS#8 or SEC1). */
export function fileSigner(path: string): Signer {
  let key: KeyObject | undefined;
  let jwk: PublicJwk | undefined;
  const load = () => (key ??= createPrivateKey(readFileSync(path)));
  const publicJwk = () => (jwk ??= publicJwkOf(load()));
  return {
    alg: 'ES256',
    kid: async () => publicJwk().kid,
    sign: async (data) => sign('sha256', data, load()),
    publicJwk: async () => publicJwk(),
  };
}
