import type { Client } from '../model.ts';
import { hashSecret } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';
import { revokeFamily } from './revocation.ts';
import {
  signAccessToken,
  storeNewRefreshToken,
  tokenResponse,
  type SigningDeps,
  type TokenResponse,
} from './token-minting.ts';

export type RefreshDeps = Pick<IdentityDeps, 'refreshTokens' | 'families' | 'denyList' | 'audit' | 'now'> & SigningDeps;

/** grant_type=refresh_token: rotates the refresh token; a reused one revokes its whole family. */
export async function refreshGrant(
  form: Record<string, string | undefined>,
  client: Client,
  deps: RefreshDeps,
  requestId: string,
): Promise<TokenResponse> {
  if (!form.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
  const tokenHash = hashSecret(form.refresh_token);
  // Check what can be refused before using the token up: a refused request must leave it usable.
  const stored = await deps.refreshTokens.refresh(tokenHash);
  if (!stored || stored.clientId !== client.clientId) {
    throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  }
  const scope = form.scope ? form.scope : stored.scope;
  if (!isWithin(scope, stored.scope)) throw new OAuthError('invalid_scope', 'a refresh cannot widen the scope');
  const token = await consumeRefreshToken(tokenHash, client, deps, requestId);
  const family = await deps.families.family(token.familyId);
  if (!family || family.revoked || family.expiresAt <= nowSeconds(deps) || token.expiresAt <= nowSeconds(deps)) {
    throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  }
  const access = await signAccessToken(token.sub, client, scope, deps);
  await deps.families.addAccessToFamily(token.familyId, access.jti, access.exp);
  // The new refresh token keeps the grant's scope: narrowing one access token does not shrink the grant.
  const refresh = await storeNewRefreshToken(token.familyId, client, token.sub, token.scope, deps);
  await deps.audit({
    actor: { kind: 'client', id: token.sub, clientId: client.clientId },
    action: 'identity.token.refresh',
    resource: `family/${token.familyId}`,
    outcome: 'success',
    requestId,
  });
  return tokenResponse(access.token, scope, { refresh_token: refresh });
}

const isWithin = (scope: string, granted: string) =>
  scope.split(' ').every((item) => granted.split(' ').includes(item));

/** Uses the refresh token up; a token used twice was stolen or leaked, so its family is revoked. */
async function consumeRefreshToken(tokenHash: string, client: Client, deps: RefreshDeps, requestId: string) {
  const consumed = await deps.refreshTokens.consumeRefresh(tokenHash);
  if (!consumed) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  const { token, reused } = consumed;
  if (!reused) return token;
  await revokeFamily(token.familyId, deps, requestId);
  await deps.audit({
    actor: { kind: 'client', id: client.clientId, clientId: client.clientId },
    action: 'identity.token.reuse-detected',
    resource: `family/${token.familyId}`,
    outcome: 'denied',
    requestId,
  });
  throw new OAuthError('invalid_grant', 'the refresh token was already used; its whole family is revoked');
}
