import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { accessTokenVerifier, bearerToken } from '../../shared/auth/verifier.ts';
import { documents, regionDocuments } from '../../shared/aws/dynamodb.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { signerFor } from '../../shared/crypto/kms-signer.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { logger, metrics } from '../../shared/observability.ts';
import { decodePercent } from '../../shared/percent-encoding.ts';
import { httpHandler, json, type HttpRequest, type HttpResult, type RouteHandler } from '../../shared/http.ts';
import { API_AUDIENCE, routeKey, type RouteContract } from '../../shared/route-contract.ts';
import { configSchema, passwordCostOf, REFRESH_GRACE_SECONDS } from './config.ts';
import { IDENTITY_ENV } from './env.ts';
import * as routes from './contract.ts';
import {
  contentSecurityPolicy,
  errorPage,
  loginPage,
  logoutConfirmationPage,
  PAGE_HEADERS,
  signedOutPage,
} from './pages.ts';
import { hashSecret, newSecret } from './passwords.ts';
import { identityPorts } from './ports.ts';
import { homedIdentityStore } from './homed-store.ts';
import { dynamoIdentityStore } from './store.ts';
import { registerAccount } from './use-cases/accounts.ts';
import { errorRedirectOf, issueCode, UntrustedRedirectError, validateAuthorization } from './use-cases/authorize.ts';
import {
  auditRefusedClient,
  authenticateClient,
  type ClientAuthContext,
  type ClientCredentials,
} from './use-cases/client-authentication.ts';
import type { IdentityDeps } from './use-cases/deps.ts';
import { introspectToken } from './use-cases/introspection.ts';
import { authenticate, LoginFailedError } from './use-cases/login.ts';
import { OAuthError } from './use-cases/oauth-error.ts';
import { rpInitiatedLogout } from './use-cases/logout.ts';
import { revokeToken } from './use-cases/revocation.ts';
import { reachableSession, SSO_SESSION_SECONDS, startSession } from './use-cases/sessions.ts';
import { grantTokens } from './use-cases/tokens.ts';
import { userInfo } from './use-cases/userinfo.ts';

const config = loadConfig(configSchema);
const issuer = config[IDENTITY_ENV.issuer].replace(/\/$/, '');
const signers = config[IDENTITY_ENV.tokenKeys].split(',').map((reference) => signerFor(reference.trim()));
const tables = { identity: config[IDENTITY_ENV.identityTable], control: config[ENV.controlTable] };
// Sessions, codes, refresh tokens and families go to their home region's table (homed-store.ts), the rest fail over.
const store = homedIdentityStore({
  here: config.region,
  shared: dynamoIdentityStore(documents, tables),
  regions: Object.fromEntries(
    Object.entries(regionDocuments).map(([region, client]) => [region, dynamoIdentityStore(client, tables)]),
  ),
});
// Every key is published until it is removed from the list: a rotated-out key stays until its tokens expire.
const publishedKeys = () =>
  Promise.all(signers.map((signer) => signer.publicJwk().then((jwk) => ({ ...jwk, use: 'sig' }))));
const isRevoked = (jti: string) => store.isDenied(jti);
const verifyAccess = accessTokenVerifier({ issuer, audience: API_AUDIENCE, keys: publishedKeys, isRevoked });
// On a JWT route the guard in shared/http.ts has read the deny-list already: only the signature is left.
const verifySignedAccess = accessTokenVerifier({ issuer, audience: API_AUDIENCE, keys: publishedKeys });
const deps: IdentityDeps = {
  ...identityPorts(store),
  signer: signers[0]!,
  issuer,
  audience: API_AUDIENCE,
  audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
  loginAttemptsPerMinute: Number(config[IDENTITY_ENV.loginAttemptsPerMinute] ?? 20),
  refreshGraceSeconds: Number(config[IDENTITY_ENV.refreshGraceSeconds] ?? REFRESH_GRACE_SECONDS),
  passwordCost: passwordCostOf(config[IDENTITY_ENV.passwordScryptN]),
  homeRegion: config.region,
  fallbackHomeRegions: Object.keys(regionDocuments).filter((region) => region !== config.region),
  countMetric: (name) => metrics.addMetric(name, 'Count', 1),
  // Revocation and introspection ask about any string: an invalid token is an answer, not an error.
  activeAccessToken: (token) => verifyAccess(token).catch(() => undefined),
};

const SSO_COOKIE = 'dgov_sso';
const CSRF_COOKIE = 'dgov_login_csrf';
const secureCookies = !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(issuer);
const cookie = (name: string, value: string, maxAge: number) =>
  `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secureCookies ? '; Secure' : ''}`;
const readCookie = (request: HttpRequest<unknown, unknown, unknown>, name: string) =>
  (request.raw.cookies ?? request.headers.cookie?.split(';') ?? [])
    .map((item) => item.trim().split('='))
    .find(([key]) => key === name)?.[1];

const OAUTH_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' };
const oauthError = (error: OAuthError): HttpResult => {
  const challenge: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Basic realm="dgov"' } : {};
  const body = { error: error.error, error_description: error.description };
  return json(error.status, body, { ...OAUTH_HEADERS, ...challenge });
};
const html = (statusCode: number, body: string, extra: Record<string, string> = {}, cookies?: string[]) => ({
  statusCode,
  headers: { ...PAGE_HEADERS, ...extra },
  body,
  ...(cookies ? { cookies } : {}),
});
const redirect = (location: string, cookies?: string[]): HttpResult => ({
  statusCode: 302,
  headers: { location, 'cache-control': 'no-store' },
  body: '',
  ...(cookies ? { cookies } : {}),
});
const withParams = (uri: string, params: Record<string, string | undefined>) => {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
};

/** client_secret_basic, or client_id/client_secret in the form. */
function clientCredentials(request: HttpRequest<Record<string, string>, unknown, unknown>): ClientCredentials {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // RFC 6749 §2.3.1: both halves are form-encoded; a missing colon or a bad escape is no credential.
    const clientId = colon < 0 ? undefined : decodePercent(decoded.slice(0, colon));
    const clientSecret = colon < 0 ? undefined : decodePercent(decoded.slice(colon + 1));
    if (clientId === undefined || clientSecret === undefined)
      throw new OAuthError('invalid_client', 'the Authorization header holds no client_id:client_secret pair');
    return { clientId, clientSecret };
  }
  return { clientId: request.body.client_id, clientSecret: request.body.client_secret };
}

/** Authenticates the calling client; a refusal (a malformed Basic header too) is audited. */
async function callingClient(
  request: HttpRequest<Record<string, string>, unknown, unknown>,
  endpoint: ClientAuthContext['endpoint'],
  requireConfidential = false,
) {
  const context = { endpoint, requestId: request.requestId, sourceIp: request.sourceIp };
  let credentials: ClientCredentials;
  try {
    credentials = clientCredentials(request);
  } catch (error) {
    await auditRefusedClient(undefined, deps, context);
    throw error;
  }
  return authenticateClient(credentials, deps, context, requireConfidential);
}

type OAuthRoute = typeof routes.tokenRoute | typeof routes.revokeRoute | typeof routes.introspectRoute;
/** The OAuth endpoints answer their errors as RFC 6749 JSON, not as problem details. */
const oauth =
  <C extends OAuthRoute>(run: RouteHandler<C>): RouteHandler<C> =>
  async (request, context) => {
    try {
      return await run(request, context);
    } catch (error) {
      if (error instanceof OAuthError) return oauthError(error);
      throw error;
    }
  };

export const discovery: RouteHandler<typeof routes.discoveryRoute> = async () =>
  json(
    200,
    {
      issuer,
      authorization_endpoint: `${issuer}/oauth2/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      userinfo_endpoint: `${issuer}/oauth2/userinfo`,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      introspection_endpoint: `${issuer}/oauth2/introspect`,
      end_session_endpoint: `${issuer}/oauth2/logout`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['openid', 'profile', 'offline_access'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'account_type'],
    },
    { 'cache-control': 'public, max-age=300' },
  );

export const jwks: RouteHandler<typeof routes.jwksRoute> = async () =>
  json(200, { keys: await publishedKeys() }, { 'cache-control': 'public, max-age=300' });

export const createAccount: RouteHandler<typeof routes.createAccountRoute> = async (request) => {
  const { requestId, sourceIp } = request;
  const accountId = await registerAccount(request.body, deps, { requestId, sourceIp });
  return json(201, { accountId });
};

type Checked = { authorization: Awaited<ReturnType<typeof validateAuthorization>> } | { answer: HttpResult };

/** The authorization request, or the answer that refuses it: an error page, or the error sent back to the client. */
async function checkAuthorization(params: Record<string, string>): Promise<Checked> {
  try {
    return { authorization: await validateAuthorization(params, deps) };
  } catch (error) {
    if (error instanceof UntrustedRedirectError) return { answer: html(400, errorPage(error.message)) };
    const redirectTo = errorRedirectOf(error);
    if (!redirectTo) throw error;
    const { error: code, description } = error as OAuthError;
    const { redirectUri, state } = redirectTo;
    return { answer: redirect(withParams(redirectUri, { error: code, error_description: description, state })) };
  }
}

/** With an SSO session, a code for the client; without one (or after a failed login), the login page. */
async function authorizeOrLogin(
  params: Record<string, string>,
  request: HttpRequest<unknown, unknown, unknown>,
  loginError?: string,
  status = 200,
  checked?: Checked,
): Promise<HttpResult> {
  const valid = checked ?? (await checkAuthorization(params));
  if ('answer' in valid) return valid.answer;
  const { authorization } = valid;
  const session = await reachableSession(readCookie(request, SSO_COOKIE), deps);
  if (session && !loginError) {
    const code = await issueCode(authorization, session, deps);
    return redirect(withParams(authorization.redirectUri, { code, state: authorization.state, iss: issuer }));
  }
  const csrf = newSecret(18);
  const page = loginPage(params, authorization.client.clientId, csrf, loginError);
  const policy = { 'content-security-policy': contentSecurityPolicy(authorization.redirectUri) };
  return html(status, page, policy, [cookie(CSRF_COOKIE, hashSecret(csrf), 900)]);
}

export const authorize: RouteHandler<typeof routes.authorizeRoute> = async (request) =>
  authorizeOrLogin(request.query, request);

const FORM_EXPIRED = 'The sign-in form expired. Please try again.';
const LOGIN_FAILED =
  'The ID number (or credit code) or the password is not right, or the account is locked for a while.';

export const login: RouteHandler<typeof routes.loginRoute> = async (request) => {
  const { username = '', password = '', csrf = '', ...params } = request.body;
  // Double-submit anti-forgery: the form's token must hash to the cookie set with the form.
  if (!csrf || readCookie(request, CSRF_COOKIE) !== hashSecret(csrf)) {
    return authorizeOrLogin(params, request, FORM_EXPIRED, 400);
  }
  // A sign-in for an authorization request that cannot succeed is answered before the password is
  // checked: no session is started (nor a login attempt counted) for an error page.
  const checked = await checkAuthorization(params);
  if ('answer' in checked) return checked.answer;
  let account: Awaited<ReturnType<typeof authenticate>>;
  try {
    const context = { sourceIp: request.sourceIp ?? 'unknown', requestId: request.requestId };
    account = await authenticate(username, password, context, deps);
  } catch (error) {
    if (error instanceof LoginFailedError) {
      // The caller sees one answer for both; operators see whether the password was checked or the lock held.
      logger.info('login refused', { reason: error.reason });
      return authorizeOrLogin(params, request, LOGIN_FAILED, 401, checked);
    }
    throw error;
  }
  const { cookie: value } = await startSession(account, deps);
  const ssoCookie = cookie(SSO_COOKIE, value, SSO_SESSION_SECONDS);
  // The new session is not in the request's cookies yet: hand it over as if it were.
  const signedIn = { ...request, raw: { ...request.raw, cookies: [`${SSO_COOKIE}=${value}`] } };
  const result = await authorizeOrLogin(params, signedIn, undefined, 200, checked);
  return { ...result, cookies: [...(result.cookies ?? []), ssoCookie] };
};

export const token: RouteHandler<typeof routes.tokenRoute> = oauth(async (request) => {
  const client = await callingClient(request, 'token');
  return json(200, await grantTokens(request.body, client, deps, request.requestId), OAUTH_HEADERS);
});

export const revoke: RouteHandler<typeof routes.revokeRoute> = oauth(async (request) => {
  const client = await callingClient(request, 'revocation');
  await revokeToken(request.body, client, deps, request.requestId);
  return { statusCode: 200, headers: OAUTH_HEADERS, body: '' };
});

export const introspect: RouteHandler<typeof routes.introspectRoute> = oauth(async (request) => {
  await callingClient(request, 'introspection', true);
  return json(200, await introspectToken(request.body, deps), OAUTH_HEADERS);
});

export const userinfo: RouteHandler<typeof routes.userinfoRoute> = async (request) => {
  const claims = await verifySignedAccess(bearerToken(request.headers.authorization));
  return json(200, await userInfo(claims, deps));
};

const LOGOUT_CSRF_COOKIE = 'dgov_logout_csrf';
const expiredCookie = (name: string) =>
  `${name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secureCookies ? '; Secure' : ''}`;

/** RP-Initiated Logout: a valid id_token_hint, or the confirmation form (double-submit csrf), ends the session. */
const endSession = async (
  request: HttpRequest<Record<string, string> | undefined, Record<string, string>, unknown>,
): Promise<HttpResult> => {
  const params: Record<string, string | undefined> = { ...request.query, ...request.body };
  const csrf = request.body?.csrf;
  const confirmed = Boolean(csrf) && readCookie(request, LOGOUT_CSRF_COOKIE) === hashSecret(csrf!);
  const outcome = await rpInitiatedLogout(
    params,
    readCookie(request, SSO_COOKIE),
    confirmed,
    publishedKeys,
    deps,
    request.requestId,
  );
  if (outcome.kind === 'confirm') {
    const token = newSecret(18);
    const policy = { 'content-security-policy': contentSecurityPolicy(outcome.redirectTo) };
    return html(200, logoutConfirmationPage(params, token), policy, [
      cookie(LOGOUT_CSRF_COOKIE, hashSecret(token), 900),
    ]);
  }
  const expired = [expiredCookie(SSO_COOKIE), ...(csrf ? [expiredCookie(LOGOUT_CSRF_COOKIE)] : [])];
  if (outcome.redirectTo) return redirect(withParams(outcome.redirectTo, { state: params.state }), expired);
  return html(200, signedOutPage(), {}, expired);
};
const logoutByGet: RouteHandler<typeof routes.logoutRoute> = (request) => endSession(request);
const logoutByPost: RouteHandler<typeof routes.logoutPostRoute> = (request) => endSession(request);

/** Each identity route with its handler; the route key comes from the contract, never retyped. */
const served: [RouteContract, RouteHandler<never>][] = [
  [routes.discoveryRoute, discovery],
  [routes.jwksRoute, jwks],
  [routes.createAccountRoute, createAccount],
  [routes.authorizeRoute, authorize],
  [routes.loginRoute, login],
  [routes.tokenRoute, token],
  [routes.revokeRoute, revoke],
  [routes.introspectRoute, introspect],
  [routes.userinfoRoute, userinfo],
  [routes.logoutRoute, logoutByGet],
  [routes.logoutPostRoute, logoutByPost],
];
const byRouteKey = new Map(
  served.map(([contract, run]) => [routeKey(contract), httpHandler(contract, run, { isRevoked })]),
);
const unknownRoute = httpHandler(routes.discoveryRoute, async (request) => {
  throw new NotFoundError(`no identity route ${request.raw.routeKey}`);
});

/** One function serves the identity routes; API Gateway tells it which by routeKey. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> =>
  (byRouteKey.get(event.routeKey) ?? unknownRoute)(event, context);
