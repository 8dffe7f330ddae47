import * as z from 'zod/mini';
import { ENV, required } from '../../shared/config.ts';
import { LICENCES_ENV } from './env.ts';

export const configSchema = z.object({
  [LICENCES_ENV.licencesTable]: required(),
  [LICENCES_ENV.licencesBucket]: required(),
  [LICENCES_ENV.notificationsQueueUrl]: z.url(),
  [LICENCES_ENV.sm2SealKeys]: z.optional(z.string()),
  [LICENCES_ENV.es256SealKeys]: required(),
  [LICENCES_ENV.trustList]: z.optional(z.string()),
  [LICENCES_ENV.issuerId]: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,62}$/)),
  [LICENCES_ENV.publicUrl]: z.url(),
  [ENV.controlTable]: required(),
  [ENV.auditQueueUrl]: z.url(),
});

/** Our sealing issuer unless the stage names another. */
export const DEFAULT_ISSUER_ID = 'dgov-province';

const coordinate = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/));
/** One trusted external issuer's seal key (the same shape GET /licences/seal-keys publishes). */
export const trustedKeySchema = z.strictObject({
  kty: z.literal('EC'),
  crv: z.enum(['SM2', 'P-256']),
  x: coordinate,
  y: coordinate,
  kid: z.string().check(z.minLength(1)),
  alg: z.enum(['SM2-SM3', 'ES256']),
  issuer: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,62}$/)),
  name: z.optional(z.string()),
});
export const trustListSchema = z.array(trustedKeySchema);
