import { verify, type JsonWebKey } from 'node:crypto';
import { publicKeyOf, type Signer } from '../crypto/signer.ts';

/** KMS and node:crypto sign ECDSA as DER; JOSE wants the raw r‖s pair (RFC 7518 §3.4). */
export function derToJose(der: Buffer, size = 32): Buffer {
  let offset = 2 + (der[1]! & 0x80 ? der[1]! & 0x7f : 0);
  const read = () => {
    if (der[offset] !== 0x02) throw new Error('not a DER ECDSA signature');
    const length = der[offset + 1]!;
    const value = der.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    const trimmed = value.subarray(Math.max(0, value.length - size));
    return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  return Buffer.concat([read(), read()]);
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An ES256 JWT signed through the signer port (KMS in the cloud, a key file locally). */
export async function signJwt(signer: Signer, claims: Record<string, unknown>, type = 'JWT'): Promise<string> {
  const header = { alg: 'ES256', typ: type, kid: await signer.kid() };
  const signingInput = `${encode(header)}.${encode(claims)}`;
  const signature = derToJose(await signer.sign(Buffer.from(signingInput)));
  return `${signingInput}.${signature.toString('base64url')}`;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: Buffer;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object') return undefined;
    return {
      header,
      claims,
      signingInput: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

export function verifyEs256Jose(jwk: JsonWebKey, data: Buffer, signature: Buffer): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify('sha256', data, { key: publicKeyOf(jwk), dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
