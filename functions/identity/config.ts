import * as z from 'zod/mini';
import { ENV, required } from '../../shared/config.ts';

export const configSchema = z.object({
  [ENV.identityTable]: required(),
  [ENV.controlTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
  [ENV.tokenKeys]: required(),
  [ENV.issuer]: z.url(),
  [ENV.loginAttemptsPerMinute]: z.optional(z.string().check(z.regex(/^[1-9]\d*$/))),
});
