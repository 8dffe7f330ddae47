import type { AuthorizationCode, Client, SsoSession } from '../model.ts';
import { handleKey, homed, homeOf } from '../home-region.ts';
import { newSecret } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';

const CODE_SECONDS = 60;

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

/** Where an OAuthError of a trusted client's request is to be sent back. */
export interface ErrorRedirect {
  redirectUri: string;
  state?: string;
}
export const errorRedirectOf = (error: unknown): ErrorRedirect | undefined =>
  error instanceof OAuthError ? (error as OAuthError & { redirect?: ErrorRedirect }).redirect : undefined;

type Query = Record<string, string | undefined>;

/** Checks an authorization request (RFC 6749 §4.1.1 with PKCE S256 required). */
export async function validateAuthorization(
  query: Query,
  deps: Pick<IdentityDeps, 'clients'>,
): Promise<AuthorizationRequest> {
  const client = query.client_id ? await deps.clients.client(query.client_id) : undefined;
  if (!client) throw new UntrustedRedirectError('unknown client_id');
  // Exact match only: no prefix, no wildcard, no open redirect.
  if (!query.redirect_uri || !client.redirectUris.includes(query.redirect_uri)) {
    throw new UntrustedRedirectError('redirect_uri is not registered for this client');
  }
  const base = { client, redirectUri: query.redirect_uri, state: query.state };
  // From here on the client and its redirect URI are trusted: errors go back to the client.
  const redirected = (error: OAuthError) => Object.assign(error, { redirect: base });
  if (query.response_type !== 'code') {
    throw redirected(new OAuthError('unsupported_response_type', 'only response_type=code is supported'));
  }
  if (!hasS256Challenge(query)) {
    throw redirected(new OAuthError('invalid_request', 'PKCE with code_challenge_method=S256 is required'));
  }
  const requested = (query.scope ?? 'openid').split(' ').filter(Boolean);
  if (!mayRequest(client, requested)) {
    const why = 'scope must include openid and only scopes the client may request';
    throw redirected(new OAuthError('invalid_scope', why));
  }
  return { ...base, nonce: query.nonce, scope: requested.join(' '), codeChallenge: query.code_challenge! };
}

/** A base64url SHA-256 is 43 characters. */
const hasS256Challenge = (query: Query) =>
  Boolean(query.code_challenge) &&
  query.code_challenge_method === 'S256' &&
  /^[A-Za-z0-9_-]{43}$/.test(query.code_challenge!);

function mayRequest(client: Client, requested: string[]) {
  const allowed = new Set([...client.scopes, 'openid', 'profile', 'offline_access']);
  return requested.includes('openid') && requested.every((scope) => allowed.has(scope));
}

/**
 * Issues a one-time code for a validated request and the session that signed in. The code is homed
 * with its session (home-region.ts): the exchange then links its family to the session in one region.
 */
export async function issueCode(
  request: AuthorizationRequest,
  session: SsoSession,
  deps: Pick<IdentityDeps, 'codes' | 'now' | 'homeRegion'>,
): Promise<string> {
  const code = homed(homeOf(session.sessionHash) ?? deps.homeRegion, newSecret());
  const record: AuthorizationCode = {
    codeHash: handleKey(code),
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
  await deps.codes.putCode(record);
  return code;
}
