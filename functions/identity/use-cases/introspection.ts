import type { AccessClaims } from '../../../shared/auth/verifier.ts';
import { handleKey } from '../home-region.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';

export type IntrospectionDeps = Pick<
  IdentityDeps,
  'activeAccessToken' | 'refreshTokens' | 'families' | 'issuer' | 'now'
>;

/**
 * RFC 7662: what an authenticated client may learn about a token. Anything not active (unknown,
 * expired, revoked, used) answers `{ active: false }` and nothing more.
 */
export async function introspectToken(
  form: Record<string, string | undefined>,
  deps: IntrospectionDeps,
): Promise<Record<string, unknown>> {
  const value = form.token;
  if (!value) throw new OAuthError('invalid_request', 'token is required');
  const access = form.token_type_hint === 'refresh_token' ? undefined : await deps.activeAccessToken(value);
  if (access) return describeAccessToken(access);
  return describeRefreshToken(value, deps);
}

function describeAccessToken({ iss, sub, aud, exp, iat, jti, scope, client_id, department }: AccessClaims) {
  const claims = { iss, sub, aud, exp, iat, jti, scope, client_id, ...(department ? { department } : {}) };
  return { active: true, token_type: 'Bearer', ...claims };
}

async function describeRefreshToken(value: string, deps: IntrospectionDeps) {
  const refresh = await deps.refreshTokens.refresh(handleKey(value));
  const family = refresh && (await deps.families.family(refresh.familyId));
  const now = nowSeconds(deps);
  // A family is kept a while past its end (for reuse detection): its end is checked here, not left to TTL.
  if (!refresh || refresh.used || !family || family.revoked || family.expiresAt <= now || refresh.expiresAt <= now) {
    return { active: false };
  }
  return {
    active: true,
    token_type: 'refresh_token',
    sub: refresh.sub,
    client_id: refresh.clientId,
    scope: refresh.scope,
    exp: Math.min(refresh.expiresAt, family.expiresAt),
    iss: deps.issuer,
  };
}
