import { createHash, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decoyHash,
  hashPassword,
  hashSecret,
  newSecret,
  SCRYPT_COST,
  SCRYPT_MAX_MEMORY,
  verifyPassword,
} from '../../../functions/identity/passwords.ts';

// scrypt at N=2^17 costs a few hundred milliseconds per call; these tests allow for a slow machine.
const SLOW = 30_000;
// What is about the input, not the cost (case, salts, normalisation, damaged records), is hashed at
// N=2^10: verifyPassword reads the cost from the record, so the behaviour is the same at any cost.
const CHEAP = { N: 2 ** 10, r: 8, p: 1 } as const;

describe('hashPassword and verifyPassword', () => {
  it('round-trips: the password verifies against its own hash', { timeout: SLOW }, async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
  });

  it('refuses a wrong password, including one differing only in case or by a trailing space', {
    timeout: SLOW,
  }, async () => {
    const stored = await hashPassword('Sesame-Open-2024', CHEAP);
    for (const wrong of ['sesame-open-2024', 'Sesame-Open-2024 ', 'Sesame-Open-202', ''])
      expect(await verifyPassword(wrong, stored), JSON.stringify(wrong)).toBe(false);
  });

  it('salts per account: two hashes of the same password differ, and both verify', { timeout: SLOW }, async () => {
    const [first, second] = await Promise.all([
      hashPassword('same password 123', CHEAP),
      hashPassword('same password 123', CHEAP),
    ]);
    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect(await verifyPassword('same password 123', first)).toBe(true);
    expect(await verifyPassword('same password 123', second)).toBe(true);
  });

  it('stores scrypt$131072$8$1$salt$hash: a 16-byte salt and a 32-byte key that scrypt itself reproduces', {
    timeout: SLOW,
  }, async () => {
    const stored = await hashPassword('a password of mine');
    expect(stored.startsWith('scrypt$131072$8$1$')).toBe(true);
    const [, , , , salt, hash] = stored.split('$');
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64url')).toHaveLength(32);
    const expected = scryptSync('a password of mine', Buffer.from(salt!, 'base64url'), 32, {
      N: 131072,
      r: 8,
      p: 1,
      maxmem: 160 * 1024 * 1024,
    });
    expect(hash).toBe(expected.toString('base64url'));
  });

  it("uses OWASP's minimum cost, N=2^17, r=8, p=1, within a memory cap that fits it and no more than twice it", () => {
    expect(SCRYPT_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(SCRYPT_MAX_MEMORY).toBeGreaterThan(128 * 2 ** 17 * 8 + 128 * 8);
    expect(SCRYPT_MAX_MEMORY).toBeLessThan(2 * 128 * 2 ** 17 * 8);
  });

  // Hashes stored before the cost went up carry N=2^15 in their record: they keep verifying.
  it('verifies a hash made at the earlier cost, N=2^15, from its own record', { timeout: SLOW }, async () => {
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('an older password', salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const old = `scrypt$32768$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword('an older password', old)).toBe(true);
    expect(await verifyPassword('an older password!', old)).toBe(false);
    expect((await hashPassword('an older password', { N: 32768, r: 8, p: 1 })).startsWith('scrypt$32768$8$1$')).toBe(
      true,
    );
  });

  it('normalises to NFKC: full-width digits and letters verify like their ASCII forms, both ways', {
    timeout: SLOW,
  }, async () => {
    const ascii = 'Password123';
    const fullWidth = 'Ｐａｓｓｗｏｒｄ１２３';
    expect(fullWidth).not.toBe(ascii);
    expect(fullWidth.normalize('NFKC')).toBe(ascii);
    expect(await verifyPassword(fullWidth, await hashPassword(ascii, CHEAP))).toBe(true);
    expect(await verifyPassword(ascii, await hashPassword(fullWidth, CHEAP))).toBe(true);
  });

  it('normalises composed and decomposed accents alike', { timeout: SLOW }, async () => {
    const composed = 'caf\u00e9-secret-1';
    const decomposed = 'cafe\u0301-secret-1';
    expect(await verifyPassword(decomposed, await hashPassword(composed, CHEAP))).toBe(true);
  });

  it('answers false for a stored string that is not an scrypt record', { timeout: SLOW }, async () => {
    const stored = await hashPassword('pw-1234567890', CHEAP);
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    const malformed = [
      '',
      'garbage',
      '$$$$$',
      `bcrypt$${n}$${r}$${p}$${salt}$${hash}`,
      `${scheme}$${n}$${r}$${p}$${salt}`, // no hash
      `${scheme}$${n}$${r}$${p}$$${hash}`, // no salt
      `${scheme}$${n}$${r}$${p}$${salt}$`, // empty hash
      `${scheme}$${n}$${r}$${p}$${salt}$${hash!.slice(0, 20)}`, // truncated hash
      `${scheme}$${n}$${r}$${p}$${salt}$${Buffer.alloc(32).toString('base64url')}`, // another hash
    ];
    for (const value of malformed) expect(await verifyPassword('pw-1234567890', value), value).toBe(false);
  });

  // A damaged stored hash (cost parameters scrypt refuses) must fail the login, not turn it into a 500.
  it('answers false (does not throw) when the stored cost parameters are not valid scrypt parameters', {
    timeout: SLOW,
  }, async () => {
    const stored = await hashPassword('pw-1234567890', CHEAP);
    const [, , , , salt, hash] = stored.split('$');
    const malformed = [
      `scrypt$abc$8$1$${salt}$${hash}`,
      `scrypt$$$$${salt}$${hash}`,
      `scrypt$3$8$1$${salt}$${hash}`,
      `scrypt$1048576$8$1$${salt}$${hash}`,
    ];
    const outcomes = await Promise.all(
      malformed.map((value) =>
        verifyPassword('pw-1234567890', value).then(
          (result) => result,
          (error: unknown) => `threw: ${(error as Error).message}`,
        ),
      ),
    );
    expect(outcomes).toEqual([false, false, false, false]);
  });
});

describe('decoyHash', () => {
  it('is a real scrypt record that no guessable password verifies against', { timeout: SLOW }, async () => {
    const decoy = await decoyHash;
    expect(decoy.startsWith('scrypt$131072$8$1$')).toBe(true);
    expect(await verifyPassword('', decoy)).toBe(false);
    expect(await verifyPassword('password', decoy)).toBe(false);
  });
});

describe('hashSecret and newSecret', () => {
  it('hashSecret is the base64url SHA-256 of the value', () => {
    expect(hashSecret('abc')).toBe(createHash('sha256').update('abc').digest('base64url'));
    expect(hashSecret('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('newSecret returns distinct base64url strings of the requested entropy', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => newSecret()));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    }
    expect(Buffer.from(newSecret(24), 'base64url')).toHaveLength(24);
  });
});
