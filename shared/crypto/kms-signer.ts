import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { createPublicKey } from 'node:crypto';
import { clientOptions } from '../aws/client-options.ts';
import { namedDependency } from '../aws/unavailable.ts';
import { tracer } from '../observability.ts';
import { fileSigner, publicJwkOf, type PublicJwk, type Signer } from './signer.ts';

const kms = namedDependency(tracer.captureAWSv3Client(new KMSClient(clientOptions)), 'kms');

/** A KMS ECC_NIST_P256 SIGN_VERIFY key: the private half never leaves KMS. */
export function kmsSigner(keyId: string): Signer {
  let publicKey: Promise<PublicJwk> | undefined;
  // Kept once fetched; a failed fetch (KMS timing out) is forgotten, so the next request asks again.
  const publicJwk = () =>
    (publicKey ??= kms
      .send(new GetPublicKeyCommand({ KeyId: keyId }))
      .then(({ PublicKey }) => {
        if (!PublicKey) throw new Error(`KMS key ${keyId} has no public key`);
        return publicJwkOf(createPublicKey({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' }));
      })
      .catch((error: unknown) => {
        publicKey = undefined;
        throw error;
      }));
  return {
    alg: 'ES256',
    kid: async () => (await publicJwk()).kid,
    publicJwk,
    async sign(data) {
      const { Signature } = await kms.send(
        new SignCommand({ KeyId: keyId, Message: data, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
      if (!Signature) throw new Error(`KMS returned no signature for ${keyId}`);
      return Buffer.from(Signature);
    },
  };
}

/** `file:/path/key.pem` for the embedded runtime, anything else is a KMS key id or ARN. */
export const signerFor = (reference: string): Signer =>
  reference.startsWith('file:') ? fileSigner(reference.slice('file:'.length)) : kmsSigner(reference);
