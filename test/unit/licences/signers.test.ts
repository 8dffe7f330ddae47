import { GetPublicKeyCommand, type SignCommand } from '@aws-sdk/client-kms';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fileEs256Signer,
  fileSm2Signer,
  kmsSealSigner,
  sm2PrivateKeyOfPem,
  type KmsSender,
  sealSignerFor,
} from '../../../functions/licences/adapters/seal-signers.ts';
import { canonicalBytes, verifySignature } from '../../../functions/licences/domain/seal.ts';
import { sm2PublicKey } from '../../../functions/licences/domain/sm2.ts';
import { keyFile } from '../../support/licences/world.ts';
import smCrypto from 'sm-crypto';

/**
 * KMS as the adapter meets it, with the key in a file: GetPublicKey answers the SPKI DER and Sign
 * answers a DER signature, SM2DSA over a DIGEST (SM3(Z ‖ M), which KMS signs as given) or
 * ECDSA_SHA_256 over the RAW message. The SM2 signature comes from sm-crypto, not our code.
 */
function fakeKms(path: string): KmsSender & { calls: SignCommand['input'][] } {
  const pem = readFileSync(path, 'utf8');
  const sm2 = pem.length > 0 && path.endsWith('SM2.pem');
  const d = sm2 ? sm2PrivateKeyOfPem(pem) : '';
  const privateKey = sm2 ? undefined : createPrivateKey(pem);
  // The SPKI KMS answers: for SM2 the same layout as P-256 (id-ecPublicKey, the SM2 curve OID).
  const spki = sm2
    ? Buffer.from(
        `3059301306072a8648ce3d020106082a811ccf5501822d034200${(smCrypto.sm2 as unknown as { getPublicKeyFromPrivateKey(d: string): string }).getPublicKeyFromPrivateKey(d)}`,
        'hex',
      )
    : createPublicKey(privateKey!).export({ format: 'der', type: 'spki' });
  const calls: SignCommand['input'][] = [];
  return {
    calls,
    send: (async (command: GetPublicKeyCommand | SignCommand) => {
      if (command instanceof GetPublicKeyCommand) return { PublicKey: new Uint8Array(spki) };
      calls.push(command.input);
      const message = Buffer.from(command.input.Message!);
      if (command.input.SigningAlgorithm === 'SM2DSA') {
        return {
          Signature: Buffer.from(
            smCrypto.sm2.doSignature(Array.from(message) as unknown as string, d, { der: true }),
            'hex',
          ),
        };
      }
      return { Signature: sign('sha256', message, privateKey!) };
    }) as KmsSender['send'],
  };
}

describe('seal signers: KMS and key files sign alike', () => {
  const document = canonicalBytes({ licenceId: 'L0', data: { 名称: '济南某某有限公司' } })!;

  it.each(['SM2-SM3', 'ES256'] as const)(
    '%s: the KMS adapter and the file signer give the same key and verifiable seals',
    async (alg) => {
      const path = keyFile(alg === 'SM2-SM3' ? 'SM2' : 'P-256');
      const file = alg === 'SM2-SM3' ? fileSm2Signer(path, 'dgov-province') : fileEs256Signer(path, 'dgov-province');
      const kms = fakeKms(path);
      const viaKms = kmsSealSigner(kms, 'arn:aws-cn:kms:cn-north-1:000000000000:key/mrk-1', alg, 'dgov-province');
      const [fileJwk, kmsJwk] = [await file.publicJwk(), await viaKms.publicJwk()];
      expect(kmsJwk).toEqual(fileJwk);
      expect(verifySignature(fileJwk, document, await viaKms.sign(document))).toBe(true);
      expect(verifySignature(kmsJwk, document, await file.sign(document))).toBe(true);
      const call = kms.calls[0]!;
      if (alg === 'SM2-SM3') {
        expect(call).toMatchObject({ SigningAlgorithm: 'SM2DSA', MessageType: 'DIGEST' });
        expect(call.Message).toHaveLength(32);
      } else expect(call).toMatchObject({ SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'RAW' });
    },
  );

  it('a KMS failure to give the public key is asked again next time', async () => {
    let calls = 0;
    const flaky: KmsSender = {
      send: (async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
        return {
          PublicKey: new Uint8Array(
            createPublicKey(createPrivateKey(readFileSync(keyFile('P-256')))).export({ format: 'der', type: 'spki' }),
          ),
        };
      }) as KmsSender['send'],
    };
    const signer = kmsSealSigner(flaky, 'key', 'ES256', 'dgov-province');
    await expect(signer.publicJwk()).rejects.toThrow('timeout');
    await expect(signer.publicJwk()).resolves.toMatchObject({ crv: 'P-256', alg: 'ES256' });
  });

  it('configuration: files or KMS keys; the kid is the key thumbprint', async () => {
    expect(() => sealSignerFor('ES256', '', 'dgov-province', () => fakeKms(keyFile('P-256')))).toThrow(/empty/);
    const arn = 'arn:aws-cn:kms:cn-north-1:000000000000:key/k';
    expect(sealSignerFor('ES256', arn, 'dgov-province', () => fakeKms(keyFile('P-256'))).alg).toBe('ES256');
    const signer = sealSignerFor('SM2-SM3', `file:${keyFile('SM2')}`, 'dgov-province', () => {
      throw new Error('no KMS for files');
    });
    const jwk = await signer.publicJwk();
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'SM2', alg: 'SM2-SM3', issuer: 'dgov-province' });
    expect(
      sm2PublicKey(
        `04${Buffer.from(jwk.x, 'base64url').toString('hex')}${Buffer.from(jwk.y, 'base64url').toString('hex')}`,
      ),
    ).toBeDefined();
    await expect(fileSm2Signer(keyFile('P-256'), 'x').publicJwk()).rejects.toThrow(/no SM2 key/);
  });
});
