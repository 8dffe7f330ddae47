import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EmitAudit } from '../../shared/audit.ts';
import { signJwt } from '../../shared/auth/jwt.ts';
import type { Signer } from '../../shared/crypto/signer.ts';
import { ConflictError, RateLimitedError, ValidationError } from '../../shared/errors.ts';
import type { Account, AuthorizationCode, Client, SsoSession } from './model.ts';
import type { IdentityStore } from './ports.ts';
import { decoyHash, hashPassword, hashSecret, newSecret, verifyPassword } from './passwords.ts';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;
export const CODE_SECONDS = 60;
export const SSO_SESSION_SECONDS = 8 * 3600;
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_SECONDS = 15 * 60;

/** An RFC 6749 error: the token, revoke and introspect endpoints answer these as JSON. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope' | 'access_denied' | 'unsupported_response_type',
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
  }
}

/** Wrong password, unknown account and locked account look alike to the caller. */
export class LoginFailedError extends Error {
  constructor(readonly reason: 'bad-credentials' | 'locked') {
    super('the identifier or the password is not right, or the account is locked for a while');
  }
}

export interface IdentityDeps {
  store: IdentityStore;
  signer: Signer;
  issuer: string;
  audience: string;
  audit: EmitAudit;
  /** Login attempts one source may make per minute before 429. */
  loginAttemptsPerMinute: number;
  now?: () => number;
}

const nowSeconds = (deps: IdentityDeps) => (deps.now ?? (() => Math.floor(Date.now() / 1000)))();
const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

// ---- accounts ----------------------------------------------------------------------------

export type NewAccount =
  | { type: 'citizen'; idNumber: string; name: string; phone: string; password: string }
  | { type: 'enterprise'; creditCode: string; name: string; operatorIdNumber: string; password: string };

export async function registerAccount(input: NewAccount, deps: IdentityDeps, requestId: string): Promise<string> {
  const identifier = (input.type === 'citizen' ? input.idNumber : input.creditCode).toUpperCase();
  if (input.password.toUpperCase().includes(identifier.toUpperCase()) || input.password === identifier) {
    throw new ValidationError('the password must not contain the identifier', [{ path: 'body.password', message: 'must not contain the identifier' }]);
  }
  const account: Account = {
    accountId: `acc-${randomUUID()}`,
    type: input.type,
    identifier,
    name: input.name,
    ...(input.type === 'citizen' ? { phone: input.phone } : { operatorIdNumber: input.operatorIdNumber }),
    passwordHash: await hashPassword(input.password),
    createdAt: new Date(nowSeconds(deps) * 1000).toISOString(),
  };
  if (await deps.store.accountByIdentifier(identifier)) throw new ConflictError('an account with this identifier exists');
  // Audit first: a change whose event cannot be queued must not happen.
  await deps.audit({ actor: { kind: 'anonymous', id: 'self-registration' }, action: 'identity.account.create', resource: `account/${account.accountId}`, outcome: 'success', requestId });
  if ((await deps.store.createAccount(account)) === 'exists') throw new ConflictError('an account with this identifier exists');
  return account.accountId;
}

// ---- login --------------------------------------------------------------------------------

export async function authenticate(username: string, password: string, context: { sourceIp: string; requestId: string }, deps: IdentityDeps): Promise<Account> {
  const now = nowSeconds(deps);
  const attempts = await deps.store.hit(`login#${context.sourceIp}`, now, 60);
  if (attempts > deps.loginAttemptsPerMinute) throw new RateLimitedError('too many login attempts from this address; wait a minute', 60 - (now % 60));
  const account = await deps.store.accountByIdentifier(username.trim().toUpperCase());
  // Same scrypt work whether or not the account exists.
  const passwordOk = await verifyPassword(password, account?.passwordHash ?? (await decoyHash));
  const actor = { kind: account?.type ?? ('anonymous' as const), id: account?.accountId ?? 'unknown' };
  // Unknown identifiers get a lock counter of their own: the same reads and writes as a real
  // account (no timing difference to probe), and guessing identifiers is throttled too.
  const lockKey = account?.accountId ?? `unknown-${hashSecret(username.trim().toUpperCase())}`;
  const resource = account ? `account/${account.accountId}` : 'account/unknown';
  const lockedUntil = await deps.store.lockedUntil(lockKey);
  if (lockedUntil && lockedUntil > now) {
    await deps.audit({ actor, action: 'identity.login', resource, outcome: 'denied', requestId: context.requestId, sourceIp: context.sourceIp });
    throw new LoginFailedError('locked');
  }
  if (!account || !passwordOk) {
    const policy = { windowSeconds: LOGIN_WINDOW_SECONDS, lockAfter: LOCK_AFTER_FAILURES, lockSeconds: LOCK_SECONDS };
    await deps.store.recordFailure(lockKey, now, policy);
    await deps.audit({ actor, action: 'identity.login', resource, outcome: 'denied', requestId: context.requestId, sourceIp: context.sourceIp });
    throw new LoginFailedError('bad-credentials');
  }
  await deps.store.clearFailures(account.accountId, now, LOGIN_WINDOW_SECONDS);
  await deps.audit({ actor, action: 'identity.login', resource: `account/${account.accountId}`, outcome: 'success', requestId: context.requestId, sourceIp: context.sourceIp });
  return account;
}

export async function startSession(account: Account, deps: IdentityDeps): Promise<{ cookie: string; session: SsoSession }> {
  const cookie = newSecret();
  const now = nowSeconds(deps);
  const session: SsoSession = { sessionHash: hashSecret(cookie), accountId: account.accountId, authTime: now, expiresAt: now + SSO_SESSION_SECONDS, families: [] };
  await deps.store.putSession(session);
  return { cookie, session };
}

export async function activeSession(cookie: string | undefined, deps: IdentityDeps): Promise<SsoSession | undefined> {
  if (!cookie) return undefined;
  const session = await deps.store.session(hashSecret(cookie));
  return session && session.expiresAt > nowSeconds(deps) ? session : undefined;
}

// ---- authorization requests ----------------------------------------------------------------

export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scope: string;
  codeChallenge: string;
}

/** Errors that must not be sent to the redirect URI (unknown client, unregistered URI). */
export class UntrustedRedirectError extends Error {}

export async function validateAuthorization(query: Record<string, string | undefined>, deps: IdentityDeps): Promise<AuthorizationRequest> {
  const client = query.client_id ? await deps.store.client(query.client_id) : undefined;
  if (!client) throw new UntrustedRedirectError('unknown client_id');
  // Exact match only: no prefix, no wildcard, no open redirect.
  if (!query.redirect_uri || !client.redirectUris.includes(query.redirect_uri)) throw new UntrustedRedirectError('redirect_uri is not registered for this client');
  const base = { client, redirectUri: query.redirect_uri, state: query.state };
  if (query.response_type !== 'code') throw Object.assign(new OAuthError('unsupported_response_type', 'only response_type=code is supported'), { redirect: base });
  if (!query.code_challenge || query.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(query.code_challenge)) {
    throw Object.assign(new OAuthError('invalid_request', 'PKCE with code_challenge_method=S256 is required'), { redirect: base });
  }
  const requested = (query.scope ?? 'openid').split(' ').filter(Boolean);
  const allowed = new Set([...client.scopes, 'openid', 'profile', 'offline_access']);
  if (!requested.includes('openid') || requested.some((scope) => !allowed.has(scope))) {
    throw Object.assign(new OAuthError('invalid_scope', 'scope must include openid and only scopes the client may request'), { redirect: base });
  }
  return { ...base, nonce: query.nonce, scope: requested.join(' '), codeChallenge: query.code_challenge };
}

export async function issueCode(request: AuthorizationRequest, session: SsoSession, deps: IdentityDeps): Promise<string> {
  const code = newSecret();
  const record: AuthorizationCode = {
    codeHash: hashSecret(code),
    clientId: request.client.clientId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    scope: request.scope,
    accountId: session.accountId,
    authTime: session.authTime,
    nonce: request.nonce,
    sessionHash: session.sessionHash,
    expiresAt: nowSeconds(deps) + CODE_SECONDS,
    used: false,
  };
  await deps.store.putCode(record);
  return code;
}

// ---- clients and tokens -------------------------------------------------------------------------

export interface ClientCredentials {
  clientId?: string;
  clientSecret?: string;
}

/** client_secret_basic or client_secret_post for confidential clients; public clients only name themselves. */
export async function authenticateClient(credentials: ClientCredentials, deps: IdentityDeps, requireConfidential = false): Promise<Client> {
  const client = credentials.clientId ? await deps.store.client(credentials.clientId) : undefined;
  if (!client) throw new OAuthError('invalid_client', 'unknown client or bad credentials');
  if (client.kind === 'confidential') {
    if (!credentials.clientSecret || !client.secretHash || !sameSecret(hashSecret(credentials.clientSecret), client.secretHash)) {
      throw new OAuthError('invalid_client', 'unknown client or bad credentials');
    }
  } else if (requireConfidential || credentials.clientSecret) {
    throw new OAuthError('invalid_client', 'this client cannot authenticate here');
  }
  return client;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

async function accessToken(sub: string, client: Client, scope: string, deps: IdentityDeps) {
  const now = nowSeconds(deps);
  const jti = randomUUID();
  const exp = now + ACCESS_TOKEN_SECONDS;
  const token = await signJwt(
    deps.signer,
    { iss: deps.issuer, sub, aud: deps.audience, exp, iat: now, nbf: now, jti, scope, client_id: client.clientId, ...(client.department ? { department: client.department } : {}) },
    'at+jwt',
  );
  return { token, jti, exp };
}

async function idToken(account: Account, client: Client, code: Pick<AuthorizationCode, 'authTime' | 'nonce' | 'sessionHash'>, accessTokenValue: string, deps: IdentityDeps) {
  const now = nowSeconds(deps);
  const digest = createHash('sha256').update(accessTokenValue).digest();
  return signJwt(deps.signer, {
    iss: deps.issuer,
    sub: account.accountId,
    aud: client.clientId,
    exp: now + ACCESS_TOKEN_SECONDS,
    iat: now,
    auth_time: code.authTime,
    ...(code.nonce ? { nonce: code.nonce } : {}),
    at_hash: digest.subarray(0, 16).toString('base64url'),
    sid: code.sessionHash.slice(0, 22),
    account_type: account.type,
  });
}

async function newRefreshToken(familyId: string, client: Client, sub: string, scope: string, deps: IdentityDeps): Promise<string> {
  const value = newSecret();
  await deps.store.putRefresh({ tokenHash: hashSecret(value), familyId, clientId: client.clientId, sub, scope, expiresAt: nowSeconds(deps) + REFRESH_TOKEN_SECONDS, used: false });
  return value;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Revokes a family: its refresh tokens stop working and its live access tokens are denied. */
export async function revokeFamily(familyId: string, deps: IdentityDeps, requestId: string): Promise<void> {
  const family = await deps.store.revokeFamily(familyId);
  if (!family) return;
  const now = nowSeconds(deps);
  for (const access of family.accessJtis) if (access.exp > now) await deps.store.deny(access.jti, access.exp);
  await deps.audit({ actor: { kind: 'system', id: 'identity' }, action: 'identity.token.revoke-family', resource: `family/${familyId}`, outcome: 'success', requestId });
}

export async function exchangeCode(form: Record<string, string | undefined>, client: Client, deps: IdentityDeps, requestId: string): Promise<TokenResponse> {
  if (!form.code || !form.redirect_uri || !form.code_verifier) throw new OAuthError('invalid_request', 'code, redirect_uri and code_verifier are required');
  const codeHash = hashSecret(form.code);
  const consumed = await deps.store.consumeCode(codeHash);
  if (!consumed) throw new OAuthError('invalid_grant', 'the code is not valid');
  const { code, replayed } = consumed;
  if (replayed) {
    // RFC 6749 §4.1.2: a code used twice revokes what it produced.
    if (code.familyId) await revokeFamily(code.familyId, deps, requestId);
    if (code.accessJti) await deps.store.deny(code.accessJti, nowSeconds(deps) + ACCESS_TOKEN_SECONDS);
    await deps.audit({ actor: { kind: 'client', id: client.clientId, clientId: client.clientId }, action: 'identity.code.replay', resource: `client/${client.clientId}`, outcome: 'denied', requestId });
    throw new OAuthError('invalid_grant', 'the code was already used; the tokens it produced are revoked');
  }
  if (code.expiresAt <= nowSeconds(deps)) throw new OAuthError('invalid_grant', 'the code has expired');
  if (code.clientId !== client.clientId || code.redirectUri !== form.redirect_uri) throw new OAuthError('invalid_grant', 'the code was issued to another client or redirect_uri');
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(form.code_verifier) || !sameSecret(s256(form.code_verifier), code.codeChallenge)) throw new OAuthError('invalid_grant', 'the code_verifier does not match the code_challenge');
  const account = await deps.store.account(code.accountId);
  if (!account) throw new OAuthError('invalid_grant', 'the account no longer exists');

  const familyId = randomUUID();
  const access = await accessToken(account.accountId, client, code.scope, deps);
  await deps.store.putFamily({ familyId, clientId: client.clientId, sub: account.accountId, revoked: false, accessJtis: [{ jti: access.jti, exp: access.exp }], expiresAt: nowSeconds(deps) + REFRESH_TOKEN_SECONDS });
  await deps.store.linkCodeTokens(codeHash, familyId, access.jti);
  await deps.store.addFamilyToSession(code.sessionHash, familyId);
  const refresh = await newRefreshToken(familyId, client, account.accountId, code.scope, deps);
  await deps.audit({ actor: { kind: account.type, id: account.accountId, clientId: client.clientId }, action: 'identity.token.issue', resource: `client/${client.clientId}`, outcome: 'success', requestId });
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_SECONDS,
    scope: code.scope,
    refresh_token: refresh,
    id_token: await idToken(account, client, code, access.token, deps),
  };
}

export async function clientCredentialsGrant(form: Record<string, string | undefined>, client: Client, deps: IdentityDeps, requestId: string): Promise<TokenResponse> {
  if (client.kind !== 'confidential') throw new OAuthError('unauthorized_client', 'client_credentials needs a confidential client');
  const requested = (form.scope ?? client.scopes.join(' ')).split(' ').filter(Boolean);
  if (requested.some((scope) => !client.scopes.includes(scope))) throw new OAuthError('invalid_scope', 'the client may not request these scopes');
  const scope = requested.join(' ');
  const access = await accessToken(client.clientId, client, scope, deps);
  await deps.audit({ actor: { kind: 'client', id: client.clientId, clientId: client.clientId }, action: 'identity.token.issue', resource: `client/${client.clientId}`, outcome: 'success', requestId });
  return { access_token: access.token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS, scope };
}

export async function refreshGrant(form: Record<string, string | undefined>, client: Client, deps: IdentityDeps, requestId: string): Promise<TokenResponse> {
  if (!form.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
  const tokenHash = hashSecret(form.refresh_token);
  // Check what can be refused before using the token up: a refused request must leave it usable.
  const stored = await deps.store.refresh(tokenHash);
  if (!stored || stored.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  const scope = form.scope ? form.scope : stored.scope;
  if (scope.split(' ').some((item) => !stored.scope.split(' ').includes(item))) throw new OAuthError('invalid_scope', 'a refresh cannot widen the scope');
  const consumed = await deps.store.consumeRefresh(tokenHash);
  if (!consumed) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  const { token, reused } = consumed;
  if (reused) {
    await revokeFamily(token.familyId, deps, requestId);
    await deps.audit({ actor: { kind: 'client', id: client.clientId, clientId: client.clientId }, action: 'identity.token.reuse-detected', resource: `family/${token.familyId}`, outcome: 'denied', requestId });
    throw new OAuthError('invalid_grant', 'the refresh token was already used; its whole family is revoked');
  }
  const family = await deps.store.family(token.familyId);
  if (!family || family.revoked || token.expiresAt <= nowSeconds(deps)) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  const access = await accessToken(token.sub, client, scope, deps);
  await deps.store.addAccessToFamily(token.familyId, access.jti, access.exp);
  const refresh = await newRefreshToken(token.familyId, client, token.sub, token.scope, deps);
  await deps.audit({ actor: { kind: 'client', id: token.sub, clientId: client.clientId }, action: 'identity.token.refresh', resource: `family/${token.familyId}`, outcome: 'success', requestId });
  return { access_token: access.token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS, scope, refresh_token: refresh };
}

/** RFC 7009: revoking an unknown or foreign token is not an error (200 either way). */
export async function revokeToken(form: Record<string, string | undefined>, client: Client, deps: IdentityDeps, requestId: string, verifyAccess: (token: string) => Promise<{ jti: string; exp: number; client_id: string } | undefined>): Promise<void> {
  const value = form.token;
  if (!value) throw new OAuthError('invalid_request', 'token is required');
  if (form.token_type_hint !== 'access_token') {
    const refresh = await deps.store.refresh(hashSecret(value));
    if (refresh && refresh.clientId === client.clientId) {
      await revokeFamily(refresh.familyId, deps, requestId);
      await deps.audit({ actor: { kind: 'client', id: client.clientId, clientId: client.clientId }, action: 'identity.token.revoke', resource: `family/${refresh.familyId}`, outcome: 'success', requestId });
      return;
    }
  }
  const access = await verifyAccess(value);
  if (access && access.client_id === client.clientId) {
    await deps.store.deny(access.jti, access.exp);
    await deps.audit({ actor: { kind: 'client', id: client.clientId, clientId: client.clientId }, action: 'identity.token.revoke', resource: `token/${access.jti}`, outcome: 'success', requestId });
  }
}

export async function logout(cookie: string | undefined, deps: IdentityDeps, requestId: string): Promise<void> {
  const session = await activeSession(cookie, deps);
  if (!session) return;
  for (const familyId of session.families) await revokeFamily(familyId, deps, requestId);
  await deps.store.deleteSession(session.sessionHash);
  await deps.audit({ actor: { kind: 'citizen', id: session.accountId }, action: 'identity.logout', resource: `account/${session.accountId}`, outcome: 'success', requestId });
}

export const newClientSecret = () => newSecret(32);
export { hashSecret };
