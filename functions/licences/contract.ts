import * as z from 'zod/mini';
import { isValidCreditCode, isValidIdNumber } from '../../shared/identifiers.ts';
import { defineRoute } from '../../shared/route-contract.ts';
import { isValidLicenceId } from './domain/licence-id.ts';

const tags = ['licences'];
const json = z.record(z.string(), z.unknown());

export const holderSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('citizen'),
    id: z.string().check(z.refine(isValidIdNumber, 'not a valid resident ID number (GB 11643 check digit)')),
  }),
  z.strictObject({
    kind: z.literal('enterprise'),
    id: z
      .string()
      .check(z.refine(isValidCreditCode, 'not a valid unified social credit code (GB 32100 check character)')),
  }),
]);

const instant = z.iso.datetime();
export const issueBodySchema = z.strictObject({
  type: z.string().check(z.minLength(1), z.maxLength(64)),
  holder: holderSchema,
  matterId: z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, '1–128 letters, digits or . _ : -')),
  data: json,
  validFrom: z.optional(instant),
  validUntil: z.optional(instant),
  /** Extension: the seal algorithm; SM2-SM3 unless the deployment has no SM2 key. */
  sealAlg: z.optional(z.enum(['SM2-SM3', 'ES256'])),
});

const licenceIdParam = z.object({
  licenceId: z
    .string()
    .check(z.refine(isValidLicenceId, 'not a licence id (L + 17 characters with a valid check character)')),
});

export const sealSchema = z.object({ alg: z.string(), kid: z.string(), issuer: z.string(), signature: z.string() });
const licenceSchema = z.object({
  licenceId: z.string(),
  status: z.enum(['valid', 'revoked']),
  document: json,
  seal: sealSchema,
  revokedAt: z.optional(z.string()),
  revokeReason: z.optional(z.string()),
});
const verdictSchema = z.object({
  valid: z.boolean(),
  checks: z.object({ seal: z.boolean(), issuerTrusted: z.boolean(), inValidity: z.boolean(), notRevoked: z.boolean() }),
  reasons: z.array(z.string()),
});

export const issueRoute = defineRoute({
  method: 'POST',
  path: '/licences',
  operationId: 'issueLicence',
  summary: 'Issue a sealed licence when a matter completes (idempotent on the issuer and matterId)',
  tags,
  auth: 'jwt',
  scopes: ['licences:issue'],
  body: issueBodySchema,
  responses: {
    201: { description: 'Issued and sealed', schema: licenceSchema },
    200: { description: 'This matter already has this licence (same payload)', schema: licenceSchema },
    409: { description: 'This matter already has a licence with another payload' },
  },
});
export const listRoute = defineRoute({
  method: 'GET',
  path: '/licences',
  operationId: 'listOwnLicences',
  summary: "The caller's own licences (holder=me)",
  tags,
  auth: 'jwt',
  query: z.object({ holder: z.literal('me') }),
  responses: { 200: { description: 'Newest first', schema: z.object({ licences: z.array(json) }) } },
});
export const getRoute = defineRoute({
  method: 'GET',
  path: '/licences/{licenceId}',
  operationId: 'getLicence',
  summary: 'A licence with its seal (holder or issuer)',
  tags,
  auth: 'jwt',
  params: licenceIdParam,
  responses: { 200: { description: 'The licence', schema: licenceSchema }, 404: { description: 'No such licence' } },
});
export const verifyRoute = defineRoute({
  method: 'POST',
  path: '/licences/verify',
  operationId: 'verifyLicence',
  summary: 'Verify a presented licence ({ document, seal }) or one on record ({ licenceId })',
  tags,
  auth: 'none',
  body: z.union([z.object({ document: z.unknown(), seal: z.unknown() }), z.strictObject({ licenceId: z.string() })]),
  responses: { 200: { description: 'The verdict, naming each failed check', schema: verdictSchema } },
});
export const verifyLinkRoute = defineRoute({
  method: 'GET',
  path: '/licences/verify',
  operationId: 'verifyLicenceLink',
  summary: 'The short verify URL of a printed QR code: the verdict of the licence on record',
  tags,
  auth: 'none',
  query: z.object({ id: z.string().check(z.maxLength(64)) }),
  responses: { 200: { description: 'The verdict', schema: verdictSchema } },
});
export const revokeRoute = defineRoute({
  method: 'POST',
  path: '/licences/{licenceId}/revoke',
  operationId: 'revokeLicence',
  summary: 'Revoke a licence (issuing department only)',
  tags,
  auth: 'jwt',
  params: licenceIdParam,
  body: z.strictObject({ reason: z.string().check(z.minLength(1), z.maxLength(500)) }),
  responses: { 200: { description: 'Revoked', schema: licenceSchema }, 404: { description: 'No such licence' } },
});
export const typesRoute = defineRoute({
  method: 'GET',
  path: '/licences/types',
  operationId: 'licenceTypes',
  summary: 'The licence-type catalogue, each with the JSON Schema of its data',
  tags,
  auth: 'none',
  responses: { 200: { description: 'The catalogue', schema: z.array(json) } },
});
export const credentialRoute = defineRoute({
  method: 'GET',
  path: '/licences/{licenceId}/credential',
  operationId: 'licenceCredential',
  summary: 'The licence as a W3C Verifiable Credential 2.0 (holder or issuer)',
  tags,
  auth: 'jwt',
  params: licenceIdParam,
  responses: { 200: { description: 'The credential', schema: json, contentType: 'application/vc+ld+json' } },
});
export const statusListRoute = defineRoute({
  method: 'GET',
  path: '/licences/status/{listId}',
  operationId: 'licenceStatusList',
  summary: 'A signed W3C Bitstring Status List of revocations (public, cacheable)',
  tags,
  auth: 'none',
  params: z.object({ listId: z.string().check(z.regex(/^(0|[1-9]\d{0,5})$/, 'a list number')) }),
  responses: {
    200: { description: 'BitstringStatusListCredential', schema: json, contentType: 'application/vc+ld+json' },
  },
});
export const qrRoute = defineRoute({
  method: 'GET',
  path: '/licences/{licenceId}/qr.png',
  operationId: 'licenceQrCode',
  summary: "A QR code of the licence's short verify URL, for printing (holder or issuer)",
  tags,
  auth: 'jwt',
  params: licenceIdParam,
  responses: { 200: { description: 'PNG image', contentType: 'image/png' } },
});
export const sealKeysRoute = defineRoute({
  method: 'GET',
  path: '/licences/seal-keys',
  operationId: 'licenceSealKeys',
  summary: "Public seal keys: ours and the trusted external issuers', each with its issuer",
  tags,
  auth: 'none',
  responses: { 200: { description: 'JWKs with kid, alg, crv and issuer', schema: z.object({ keys: z.array(json) }) } },
});

export const licencesRoutes = [
  issueRoute,
  listRoute,
  getRoute,
  verifyRoute,
  verifyLinkRoute,
  revokeRoute,
  typesRoute,
  credentialRoute,
  statusListRoute,
  qrRoute,
  sealKeysRoute,
] as const;
