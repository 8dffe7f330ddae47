import { sameText } from '../../shared/constant-time.ts';
import { randomBytes, scrypt, timingSafeEqual, createHash } from 'node:crypto';

/**
 * scrypt cost, OWASP's minimum: N=2^17, r=8, p=1 takes 128 MiB per hash (128·N·r bytes), about
 * 0.3–0.5 s on a Lambda of 1024 MB. Every stored hash names its own parameters, so hashes made at
 * an earlier cost (N=2^15 before) still verify.
 */
export const SCRYPT_COST = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/**
 * What one derivation may take: the current cost (128·N·r + 128·r·p bytes) with headroom, and no more,
 * so a damaged record that names a larger cost is refused rather than exhausting the function's memory.
 */
export const SCRYPT_MAX_MEMORY = 128 * SCRYPT_COST.N * SCRYPT_COST.r * SCRYPT_COST.p + 16 * 1024 * 1024;

const derive = (password: string, salt: Buffer, n: number, r: number, p: number) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: SCRYPT_MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );

/** `scrypt$N$r$p$salt$hash`, a per-account random salt. */
export async function hashPassword(password: string, cost: ScryptCost = SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = cost;
  const key = await derive(password, salt, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export type ScryptCost = { N: number; r: number; p: number };

/** True when the stored hash was made at a lower cost than `cost` (N=2^15 before SCRYPT_COST), or is no scrypt record. */
export function needsRehash(stored: string, cost: ScryptCost = SCRYPT_COST): boolean {
  const [scheme, n, r, p] = stored.split('$');
  if (scheme !== 'scrypt') return true;
  return Number(n) < cost.N || Number(r) < cost.r || Number(p) < cost.p;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  try {
    const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  } catch {
    return false; // cost parameters scrypt refuses: a damaged record never verifies, and never 500s
  }
}

/**
 * A record no password matches, checked when the account does not exist, so an unknown account
 * costs the same scrypt work (at the cost new hashes are made at) as a wrong password and answers in comparable time. Its key is random
 * bytes rather than a derivation: computing one (128 MiB of scrypt) at module load made every cold
 * start of the identity function seconds slower.
 */
export const decoyHashAt = ({ N, r, p }: ScryptCost): string =>
  `scrypt$${N}$${r}$${p}$${randomBytes(16).toString('base64url')}$${randomBytes(KEY_LENGTH).toString('base64url')}`;
export const decoyHash = Promise.resolve(decoyHashAt(SCRYPT_COST));

/** Codes, refresh tokens, sessions and client secrets are random and long: SHA-256 suffices. */
export const hashSecret = (value: string): string => createHash('sha256').update(value).digest('base64url');
export const newSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Compares two secrets (or their hashes) in time that does not depend on where they differ. */
export const sameSecret = sameText;
