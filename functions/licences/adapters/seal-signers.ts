import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jwkCoordinatesOf, sm2PointHex, type SealAlg, type SealJwk, thumbprintOf } from '../domain/seal.ts';
import { sm2Digest, sm2PublicKey, sm2PublicKeyOf, sm2Sign } from '../domain/sm2.ts';
import type { SealSigner } from '../ports.ts';

const sealJwk = (alg: SealAlg, pointHex: string, issuer: string): SealJwk => {
  const crv = alg === 'SM2-SM3' ? 'SM2' : 'P-256';
  const { x, y } = jwkCoordinatesOf(pointHex);
  return { kty: 'EC', crv, x, y, kid: thumbprintOf({ crv, x, y }), alg, issuer };
};

const SM2_CURVE_OID = '06082a811ccf5501822d';
// ECPrivateKey (RFC 5915) of a 256-bit curve: version 1, then the scalar as a 32-byte OCTET STRING.
const EC_PRIVATE_KEY = '0201010420';

/**
 * The private scalar of an SM2 key in a PEM file (PKCS#8 or SEC1), read from the DER: node:crypto
 * loads such a key as OpenSSL's SM2 type, which it can neither use nor export (it aborts).
 */
export function sm2PrivateKeyOfPem(pem: string): string {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64').toString('hex');
  const at = der.indexOf(EC_PRIVATE_KEY);
  if (!der.includes(SM2_CURVE_OID) || at < 0 || der.length < at + EC_PRIVATE_KEY.length + 64)
    throw new Error('holds no SM2 key');
  return der.slice(at + EC_PRIVATE_KEY.length, at + EC_PRIVATE_KEY.length + 64);
}

/** A PEM file (PKCS#8 or SEC1) holding an EC key on the SM2 curve: the embedded runtime's seal key. */
export function fileSm2Signer(path: string, issuer: string): SealSigner {
  let loaded: { privateHex: string; pointHex: string } | undefined;
  const load = () => {
    if (loaded) return loaded;
    let privateHex: string;
    try {
      privateHex = sm2PrivateKeyOfPem(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`${path} ${(error as Error).message}`);
    }
    loaded = { privateHex, pointHex: sm2PublicKeyOf(privateHex) };
    return loaded;
  };
  return {
    alg: 'SM2-SM3',
    publicJwk: async () => sealJwk('SM2-SM3', load().pointHex, issuer),
    async sign(data) {
      const { privateHex, pointHex } = load();
      return sm2Sign(privateHex, sm2PublicKey(pointHex)!, data);
    },
  };
}

/** A PEM file holding a P-256 key: ES256 seals. */
export function fileEs256Signer(path: string, issuer: string): SealSigner {
  let key: ReturnType<typeof createPrivateKey> | undefined;
  const load = () => (key ??= createPrivateKey(readFileSync(path)));
  return {
    alg: 'ES256',
    publicJwk: async () =>
      sealJwk('ES256', pointOfSpki(createPublicKey(load()).export({ format: 'der', type: 'spki' })), issuer),
    sign: async (data) => sign('sha256', data, load()),
  };
}

/** The uncompressed point (hex) at the end of a 256-bit EC SubjectPublicKeyInfo, as KMS and OpenSSL write it. */
export function pointOfSpki(spki: Uint8Array): string {
  const der = Buffer.from(spki);
  const point = der.subarray(der.length - 65);
  // SEQUENCE { AlgorithmIdentifier, BIT STRING (0 unused bits) 04 ‖ x ‖ y }
  if (der[0] !== 0x30 || der.length !== 91 || der[der.length - 66] !== 0x00 || point[0] !== 0x04)
    throw new Error('not an uncompressed 256-bit EC public key');
  return point.toString('hex');
}

export type KmsSender = Pick<KMSClient, 'send'>;

/**
 * A KMS SIGN_VERIFY key: SM2 (key spec SM2, the China regions only) signing SM3(Z ‖ M) as a
 * DIGEST with SM2DSA, so the user id is ours to fix, or ECC_NIST_P256 with ECDSA_SHA_256.
 * KMS answers DER signatures, the same format as the file signers.
 */
export function kmsSealSigner(kms: KmsSender, keyId: string, alg: SealAlg, issuer: string): SealSigner {
  let publicKey: Promise<SealJwk> | undefined;
  const publicJwk = () =>
    (publicKey ??= kms
      .send(new GetPublicKeyCommand({ KeyId: keyId }))
      .then(({ PublicKey }) => {
        if (!PublicKey) throw new Error(`KMS key ${keyId} has no public key`);
        return sealJwk(alg, pointOfSpki(PublicKey), issuer);
      })
      .catch((error: unknown) => {
        publicKey = undefined; // a failed fetch is asked again next time
        throw error;
      }));
  return {
    alg,
    publicJwk,
    async sign(data) {
      let command: SignCommand;
      if (alg === 'SM2-SM3') {
        const jwk = await publicJwk();
        const digest = sm2Digest(sm2PublicKey(sm2PointHex(jwk))!, data);
        command = new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' });
      } else {
        command = new SignCommand({
          KeyId: keyId,
          Message: data,
          MessageType: 'RAW',
          SigningAlgorithm: 'ECDSA_SHA_256',
        });
      }
      const { Signature } = await kms.send(command);
      if (!Signature) throw new Error(`KMS returned no signature for ${keyId}`);
      return Buffer.from(Signature);
    },
  };
}

/** One configured seal key: `file:/path.pem` (the embedded runtime) or a KMS key id or ARN. */
export function sealSignerFor(alg: SealAlg, reference: string, issuer: string, kms: () => KmsSender): SealSigner {
  if (!reference) throw new Error(`an empty ${alg} seal key reference`);
  if (reference.startsWith('file:')) {
    const path = reference.slice('file:'.length);
    return alg === 'SM2-SM3' ? fileSm2Signer(path, issuer) : fileEs256Signer(path, issuer);
  }
  return kmsSealSigner(kms(), reference, alg, issuer);
}
