import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import smCrypto from 'sm-crypto';
import { sm2 as smV2 } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import {
  decodeDerSignature,
  sm2KeyPair,
  sm2PublicKey,
  sm2Sign,
  sm2Verify,
  sm3Digest,
} from '../../../functions/licences/domain/sm2.ts';
import { pointOfSpki } from '../../../functions/licences/adapters/seal-signers.ts';

// sm-crypto (JUNE-ZHANG's original) is a devDependency only: the second, independent implementation.
const second = smCrypto.sm2;
const pair = sm2KeyPair();
const key = sm2PublicKey(pair.publicKey)!;

describe('SM3', () => {
  it('passes the GB/T 32905 test vectors ("abc" and the 64-byte message)', () => {
    expect(sm3Digest(Buffer.from('abc')).toString('hex')).toBe(
      '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0',
    );
    expect(sm3Digest(Buffer.from('abcd'.repeat(16))).toString('hex')).toBe(
      'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
    );
  });
});

describe('SM2-SM3 seals (GB/T 32918, user id 1234567812345678)', () => {
  it('our signature verifies with sm-crypto, and sm-crypto’s with ours, for any message', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 200 }), (text) => {
        const message = Buffer.from(text, 'utf8');
        const ours = sm2Sign(pair.privateKey, key, message).toString('hex');
        expect(second.doVerifySignature(text, ours, pair.publicKey, { der: true, hash: true })).toBe(true);
        const theirs = second.doSignature(text, pair.privateKey, { der: true, hash: true });
        expect(sm2Verify(key, message, Buffer.from(theirs, 'hex'))).toBe(true);
      }),
      { numRuns: 6 },
    );
  });

  it('agrees with sm-crypto-v2’s own verification on altered messages and signatures', () => {
    const message = Buffer.from('{"licenceId":"L0"}');
    const signature = sm2Sign(pair.privateKey, key, message);
    const altered = Buffer.from('{"licenceId":"L1"}');
    expect(sm2Verify(key, altered, signature)).toBe(false);
    expect(smV2.doVerifySignature(altered, signature.toString('hex'), pair.publicKey, { der: true, hash: true })).toBe(
      false,
    );
    const other = sm2PublicKey(sm2KeyPair().publicKey)!;
    expect(sm2Verify(other, message, signature)).toBe(false);
  });

  it('refuses malformed DER of every kind, and never throws', () => {
    const message = Buffer.from('x');
    const good = sm2Sign(pair.privateKey, key, message);
    expect(sm2Verify(key, message, good)).toBe(true);
    expect(sm2Verify(key, message, Buffer.concat([good, Buffer.from([0])]))).toBe(false); // trailing byte
    expect(sm2Verify(key, message, good.subarray(0, good.length - 1))).toBe(false); // truncated
    expect(sm2Verify(key, message, Buffer.alloc(0))).toBe(false);
    expect(decodeDerSignature(Buffer.from('3006020100020100', 'hex'))).toEqual({ r: 0n, s: 0n });
    expect(sm2Verify(key, message, Buffer.from('3006020100020100', 'hex'))).toBe(false); // r = s = 0
    expect(decodeDerSignature(Buffer.from('30070202000102017f', 'hex'))).toBeUndefined(); // non-minimal
    expect(decodeDerSignature(Buffer.from('3006020180020101', 'hex'))).toBeUndefined(); // negative
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(() => sm2Verify(key, message, bytes)).not.toThrow();
        expect(sm2Verify(key, message, bytes)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('is not node:crypto ECDSA on the SM2 curve (which an SM2 verifier rejects)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    const point = pointOfSpki(publicKey.export({ format: 'der', type: 'spki' }));
    const message = Buffer.from('same message');
    const ecdsa = nodeSign('sm3', message, privateKey);
    expect(sm2Verify(sm2PublicKey(point)!, message, ecdsa)).toBe(false);
    expect(second.doVerifySignature('same message', ecdsa.toString('hex'), point, { der: true, hash: true })).toBe(
      false,
    );
  });

  it('refuses a public key that is not a point of the curve', () => {
    expect(sm2PublicKey(`04${'00'.repeat(64)}`)).toBeUndefined();
    expect(sm2PublicKey('not hex')).toBeUndefined();
  });
});
