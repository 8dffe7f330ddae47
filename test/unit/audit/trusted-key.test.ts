import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTrustedKey } from '../../../cli/audit/trusted-key.ts';
import { pinnedAuditKeys } from '../../../local/keys.ts';
import { publicJwkOf } from '../../../shared/crypto/signer.ts';

const dir = mkdtempSync(join(tmpdir(), 'dgov-trusted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const expected = publicJwkOf(privateKey);
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('the pinned audit key', () => {
  it('reads from a PEM public key, a JWK, or the key file npm start signs with', () => {
    expect(readTrustedKey(file('pub.pem', publicKey.export({ format: 'pem', type: 'spki' }) as string))).toEqual(
      expected,
    );
    expect(readTrustedKey(file('pub.jwk', JSON.stringify(publicKey.export({ format: 'jwk' }))))).toEqual(expected);
    const pem = file('audit.pem', privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    expect(pinnedAuditKeys([`file:${pem}`, `file:${pem}`, undefined, 'arn:aws-cn:kms:x'])).toEqual([expected]);
  });

  it('refuses a file that is not a P-256 public key, saying which', () => {
    expect(() => readTrustedKey(file('junk', 'hello'))).toThrow(/junk is not a P-256 public key/);
    expect(() => readTrustedKey(join(dir, 'absent'))).toThrow(/absent cannot be read/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => readTrustedKey(file('rsa.pem', rsa.export({ format: 'pem', type: 'spki' }) as string))).toThrow(
      /not a P-256/,
    );
  });
});
