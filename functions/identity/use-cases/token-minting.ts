import { createHash, randomUUID } from 'node:crypto';
import { signJwt } from '../../../shared/auth/jwt.ts';
import type { Account, AuthorizationCode, Client } from '../model.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { sessionId } from './sessions.ts';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** The token endpoint's answer (RFC 6749 §5.1) for an access token of ACCESS_TOKEN_SECONDS. */
export const tokenResponse = (
  accessToken: string,
  scope: string,
  extra: Pick<TokenResponse, 'refresh_token' | 'id_token'> = {},
): TokenResponse => ({
  access_token: accessToken,
  token_type: 'Bearer',
  expires_in: ACCESS_TOKEN_SECONDS,
  scope,
  ...extra,
});

export type SigningDeps = Pick<IdentityDeps, 'signer' | 'issuer' | 'audience' | 'now'>;

/** An ES256 access token (RFC 9068, typ at+jwt) for the API audience. */
export async function signAccessToken(
  sub: string,
  client: Client,
  scope: string,
  deps: SigningDeps,
): Promise<{ token: string; jti: string; exp: number }> {
  const now = nowSeconds(deps);
  const jti = randomUUID();
  const exp = now + ACCESS_TOKEN_SECONDS;
  const department = client.department ? { department: client.department } : {};
  const claims = { iss: deps.issuer, sub, aud: deps.audience, exp, iat: now, nbf: now, jti, scope };
  const token = await signJwt(deps.signer, { ...claims, client_id: client.clientId, ...department }, 'at+jwt');
  return { token, jti, exp };
}

/** The OpenID Connect ID token for the client, bound to its access token by at_hash. */
export async function signIdToken(
  account: Account,
  client: Client,
  code: Pick<AuthorizationCode, 'authTime' | 'nonce' | 'sessionHash'>,
  accessToken: string,
  deps: Pick<IdentityDeps, 'signer' | 'issuer' | 'now'>,
): Promise<string> {
  const now = nowSeconds(deps);
  const digest = createHash('sha256').update(accessToken).digest();
  return signJwt(deps.signer, {
    iss: deps.issuer,
    sub: account.accountId,
    aud: client.clientId,
    exp: now + ACCESS_TOKEN_SECONDS,
    iat: now,
    auth_time: code.authTime,
    ...(code.nonce ? { nonce: code.nonce } : {}),
    at_hash: digest.subarray(0, 16).toString('base64url'),
    sid: sessionId(code.sessionHash),
    account_type: account.type,
  });
}
