import * as z from 'zod/mini';
import { isValidCreditCode, isValidIdNumber, isValidMobile } from '../../shared/identifiers.ts';
import { defineRoute } from '../../shared/route-contract.ts';

const idNumber = z
  .string()
  .check(
    z.refine(
      (value) => isValidIdNumber(value.toUpperCase()),
      'not a valid 18-character resident ID number (GB 11643 check digit)',
    ),
  );
const creditCode = z
  .string()
  .check(
    z.refine(
      (value) => isValidCreditCode(value.toUpperCase()),
      'not a valid unified social credit code (GB 32100 check character)',
    ),
  );
const password = z.string().check(z.minLength(10, 'at least 10 characters'), z.maxLength(256));
const name = z.string().check(z.minLength(1), z.maxLength(100));

export const newAccountSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('citizen'),
    idNumber,
    name,
    phone: z.string().check(z.refine(isValidMobile, 'not a mainland mobile number')),
    password,
  }),
  z.strictObject({ type: z.literal('enterprise'), creditCode, name, operatorIdNumber: idNumber, password }),
]);

/** OAuth parameters arrive as strings; their rules are RFC 6749's, checked in the domain. */
const oauthForm = z.record(z.string(), z.string());
const oauthError = z.object({ error: z.string(), error_description: z.optional(z.string()) });
const html = { description: 'HTML page', contentType: 'text/html' };
const tags = ['identity'];

export const discoveryRoute = defineRoute({
  method: 'GET',
  path: '/.well-known/openid-configuration',
  operationId: 'openidConfiguration',
  summary: 'OpenID Connect discovery',
  tags,
  auth: 'none',
  responses: { 200: { description: 'Provider metadata', schema: z.record(z.string(), z.unknown()) } },
});
export const jwksRoute = defineRoute({
  method: 'GET',
  path: '/.well-known/jwks.json',
  operationId: 'jwks',
  summary: 'Public keys (ES256) that sign tokens',
  tags,
  auth: 'none',
  responses: {
    200: { description: 'JWK set', schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
  },
});
export const createAccountRoute = defineRoute({
  method: 'POST',
  path: '/identity/accounts',
  operationId: 'createAccount',
  summary: 'Register a citizen or enterprise account',
  tags,
  auth: 'none',
  body: newAccountSchema,
  responses: {
    201: { description: 'Created', schema: z.object({ accountId: z.string() }) },
    409: { description: 'An account with this identifier exists' },
    429: { description: 'Too many requests' },
  },
});
export const authorizeRoute = defineRoute({
  method: 'GET',
  path: '/oauth2/authorize',
  operationId: 'authorize',
  summary: 'Authorization code flow with PKCE S256: the login page, or a code when an SSO session exists',
  tags,
  auth: 'none',
  query: oauthForm,
  responses: { 200: html, 302: { description: 'Redirect to redirect_uri with code and state' }, 400: html },
});
export const loginRoute = defineRoute({
  method: 'POST',
  path: '/oauth2/authorize',
  operationId: 'login',
  summary: 'Submit the login form; sets the SSO session cookie',
  tags,
  auth: 'none',
  body: oauthForm,
  bodyType: 'form',
  responses: {
    302: { description: 'Redirect to redirect_uri with code and state' },
    401: html,
    429: { description: 'Too many attempts' },
  },
});
export const tokenRoute = defineRoute({
  method: 'POST',
  path: '/oauth2/token',
  operationId: 'token',
  summary: 'authorization_code (+ code_verifier), client_credentials, refresh_token',
  tags,
  auth: 'none',
  body: oauthForm,
  bodyType: 'form',
  responses: {
    200: {
      description: 'Tokens',
      schema: z.object({
        access_token: z.string(),
        token_type: z.literal('Bearer'),
        expires_in: z.number(),
        scope: z.string(),
        refresh_token: z.optional(z.string()),
        id_token: z.optional(z.string()),
      }),
    },
    400: { description: 'OAuth error', schema: oauthError },
    401: { description: 'invalid_client', schema: oauthError },
  },
});
export const revokeRoute = defineRoute({
  method: 'POST',
  path: '/oauth2/revoke',
  operationId: 'revoke',
  summary: 'RFC 7009 token revocation',
  tags,
  auth: 'none',
  body: oauthForm,
  bodyType: 'form',
  responses: {
    200: { description: 'Revoked (or unknown: not an error)' },
    401: { description: 'invalid_client', schema: oauthError },
  },
});
export const introspectRoute = defineRoute({
  method: 'POST',
  path: '/oauth2/introspect',
  operationId: 'introspect',
  summary: 'RFC 7662 token introspection (client authentication required)',
  tags,
  auth: 'none',
  body: oauthForm,
  bodyType: 'form',
  responses: {
    200: { description: 'Introspection', schema: z.looseObject({ active: z.boolean() }) },
    401: { description: 'invalid_client', schema: oauthError },
  },
});
export const userinfoRoute = defineRoute({
  method: 'GET',
  path: '/oauth2/userinfo',
  operationId: 'userinfo',
  summary: 'Claims about the signed-in account',
  tags,
  auth: 'jwt',
  responses: { 200: { description: 'Claims', schema: z.looseObject({ sub: z.string() }) } },
});
export const logoutRoute = defineRoute({
  method: 'GET',
  path: '/oauth2/logout',
  operationId: 'logout',
  summary: 'RP-Initiated Logout: end the SSO session (with a valid id_token_hint, else after confirmation)',
  tags,
  auth: 'none',
  query: oauthForm,
  responses: { 200: html, 302: { description: 'Redirect to post_logout_redirect_uri' } },
});
/** RP-Initiated Logout by POST, and the confirmation form's submission (with `csrf`): form-encoded. */
export const logoutPostRoute = defineRoute({
  ...logoutRoute,
  method: 'POST',
  operationId: 'logoutPost',
  body: oauthForm,
  bodyType: 'form',
});

export const identityRoutes = [
  discoveryRoute,
  jwksRoute,
  createAccountRoute,
  authorizeRoute,
  loginRoute,
  tokenRoute,
  revokeRoute,
  introspectRoute,
  userinfoRoute,
  logoutRoute,
  logoutPostRoute,
];
