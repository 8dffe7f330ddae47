import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { thumbprint, type PublicJwk } from '../../shared/crypto/signer.ts';
import { CliError } from '../target.ts';

/** A pinned audit key from a file: a PEM public (or private) key, or a JWK. */
export function readTrustedKey(file: string): PublicJwk {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`--trusted-key ${file} cannot be read`);
  }
  try {
    const key = text.trim().startsWith('{')
      ? createPublicKey({ key: JSON.parse(text), format: 'jwk' })
      : createPublicKey(text);
    const { kty, crv, x, y } = key.export({ format: 'jwk' });
    if (kty !== 'EC' || crv !== 'P-256') throw new Error('not P-256');
    const jwk = { kty, crv, x, y };
    return { ...jwk, kid: thumbprint(jwk), alg: 'ES256' };
  } catch {
    throw new CliError(`--trusted-key ${file} is not a P-256 public key (PEM or JWK)`);
  }
}
