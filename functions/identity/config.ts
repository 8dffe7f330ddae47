import * as z from 'zod/mini';
import { ENV, required } from '../../shared/config.ts';
import { IDENTITY_ENV } from './env.ts';
import { SCRYPT_COST, type ScryptCost } from './passwords.ts';

export const configSchema = z.object({
  [IDENTITY_ENV.identityTable]: required(),
  [ENV.controlTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
  [IDENTITY_ENV.tokenKeys]: required(),
  [IDENTITY_ENV.issuer]: z.url(),
  [IDENTITY_ENV.loginAttemptsPerMinute]: z.optional(z.string().check(z.regex(/^[1-9]\d*$/))),
  [IDENTITY_ENV.refreshGraceSeconds]: z.optional(z.string().check(z.regex(/^\d{1,3}$/))),
  // 2^10 … 2^17: a test may make hashing cheaper, nothing may make it dearer than the memory cap allows.
  [IDENTITY_ENV.passwordScryptN]: z.optional(z.enum(Array.from({ length: 8 }, (_, i) => String(2 ** (10 + i))))),
});

/** The cost new hashes are made at, if DGOV_PASSWORD_SCRYPT_N (tests only) lowers N; else undefined: SCRYPT_COST. */
export const passwordCostOf = (scryptN: string | undefined): ScryptCost | undefined =>
  scryptN === undefined ? undefined : { ...SCRYPT_COST, N: Number(scryptN) };

/** The refresh grace a deployment gets (docs/identity.md, "Refresh tokens: rotation and reuse"). */
export const REFRESH_GRACE_SECONDS = 10;
