import * as z from 'zod/mini';
import { ENV, required } from '../../shared/config.ts';
import { IDENTITY_ENV } from './env.ts';

export const configSchema = z.object({
  [IDENTITY_ENV.identityTable]: required(),
  [ENV.controlTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
  [IDENTITY_ENV.tokenKeys]: required(),
  [IDENTITY_ENV.issuer]: z.url(),
  [IDENTITY_ENV.loginAttemptsPerMinute]: z.optional(z.string().check(z.regex(/^[1-9]\d*$/))),
  [IDENTITY_ENV.refreshGraceSeconds]: z.optional(z.string().check(z.regex(/^\d{1,3}$/))),
});

/** The refresh grace a deployment gets (docs/identity.md, "Refresh tokens: rotation and reuse"). */
export const REFRESH_GRACE_SECONDS = 10;
