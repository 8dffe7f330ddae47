import { REFRESH_GRACE_SECONDS } from '../config.ts';
import type { Client, RefreshSuccessor, RefreshToken } from '../model.ts';
import { handleKey, homed, homeOf } from '../home-region.ts';
import { newSecret } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';
import { revokeFamily } from './revocation.ts';
import { seal, unseal } from './sealed-answer.ts';
import {
  REFRESH_TOKEN_SECONDS,
  signAccessToken,
  tokenResponse,
  type SigningDeps,
  type TokenResponse,
} from './token-minting.ts';

export type RefreshDeps = Pick<
  IdentityDeps,
  'refreshTokens' | 'families' | 'denyList' | 'audit' | 'now' | 'refreshGraceSeconds' | 'countMetric' | 'homeRegion'
> &
  SigningDeps;

/**
 * grant_type=refresh_token: rotates the refresh token; a reused one revokes its whole family.
 *
 * The whole answer (access token and successor refresh token) is made before the token is used up
 * and stored with it, sealed, in the same conditional write. If a later step fails (a 503), the
 * client's retry with the same token within the grace finishes and gets that same answer, instead
 * of being taken for theft; a reuse outside the grace, or of a token whose successor was used in turn
 * (several rotations back), still revokes the family.
 */
export async function refreshGrant(
  form: Record<string, string | undefined>,
  client: Client,
  deps: RefreshDeps,
  requestId: string,
): Promise<TokenResponse> {
  const presented = form.refresh_token;
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  const tokenHash = handleKey(presented);
  // Check what can be refused before using the token up: a refused request must leave it usable.
  const stored = await deps.refreshTokens.refresh(tokenHash);
  if (!stored || stored.clientId !== client.clientId) {
    throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  }
  const scope = form.scope ? form.scope : stored.scope;
  if (!isWithin(scope, stored.scope)) throw new OAuthError('invalid_scope', 'a refresh cannot widen the scope');
  if (stored.used) return retryOrRevoke(presented, stored, scope, client, deps, requestId);
  const access = await signAccessToken(stored.sub, client, scope, deps);
  // The successor stays in the family's home region (home-region.ts), wherever this request was served.
  const next = homed(homeOf(stored.familyId) ?? deps.homeRegion, newSecret());
  const answer = tokenResponse(access.token, scope, { refresh_token: next });
  const successor: RefreshSuccessor = {
    at: nowSeconds(deps),
    scope,
    refreshHash: handleKey(next),
    accessJti: access.jti,
    accessExp: access.exp,
    sealed: seal(presented, answer),
  };
  const consumed = await deps.refreshTokens.consumeRefresh(tokenHash, successor);
  if (!consumed) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  if (consumed.reused) return retryOrRevoke(presented, consumed.token, scope, client, deps, requestId);
  return completeRefresh(consumed.token, successor, answer, client, deps, requestId);
}

const isWithin = (scope: string, granted: string) =>
  scope.split(' ').every((item) => granted.split(' ').includes(item));

/**
 * Joins the new access token to the family and stores the successor refresh token. Every step may
 * run twice (a retry, or two parallel requests with one token) and ends the same: the append is
 * skipped when done, the successor is stored only if absent (never marked unused again).
 */
async function completeRefresh(
  token: RefreshToken,
  successor: RefreshSuccessor,
  answer: TokenResponse,
  client: Client,
  deps: RefreshDeps,
  requestId: string,
): Promise<TokenResponse> {
  const family = await deps.families.family(token.familyId);
  if (!family || family.revoked || family.expiresAt <= successor.at || token.expiresAt <= successor.at) {
    throw new OAuthError('invalid_grant', 'the refresh token is not valid');
  }
  if (!family.accessJtis.some((access) => access.jti === successor.accessJti)) {
    const joined = await deps.families.addAccessToFamily(token.familyId, successor.accessJti, successor.accessExp);
    if (joined === 'refused') {
      // The family was revoked meanwhile: the new token is never handed out, and denied should it leak.
      await deps.denyList.deny(successor.accessJti, successor.accessExp);
      throw new OAuthError('invalid_grant', 'the refresh token is not valid');
    }
  }
  // The new refresh token keeps the grant's scope: narrowing one access token does not shrink the grant.
  await deps.refreshTokens.putRefresh({
    tokenHash: successor.refreshHash,
    familyId: token.familyId,
    clientId: client.clientId,
    sub: token.sub,
    scope: token.scope,
    expiresAt: successor.at + REFRESH_TOKEN_SECONDS,
    used: false,
  });
  await deps.audit({
    actor: { kind: 'client', id: token.sub, clientId: client.clientId },
    action: 'identity.token.refresh',
    resource: `family/${token.familyId}`,
    outcome: 'success',
    requestId,
  });
  return answer;
}

/**
 * A used token again: within the grace, for the same scope, and while its successor is unused (it is
 * the token just rotated out, not one several rotations back), the retry gets the same answer.
 * Anything else was stolen or leaked, so the family is revoked.
 */
async function retryOrRevoke(
  presented: string,
  token: RefreshToken,
  scope: string,
  client: Client,
  deps: RefreshDeps,
  requestId: string,
): Promise<TokenResponse> {
  const { successor } = token;
  const grace = deps.refreshGraceSeconds ?? REFRESH_GRACE_SECONDS;
  if (successor && grace > 0 && nowSeconds(deps) - successor.at <= grace && successor.scope === scope) {
    const next = await deps.refreshTokens.refresh(successor.refreshHash);
    const answer = next?.used ? undefined : unseal<TokenResponse>(presented, successor.sealed);
    if (answer) {
      deps.countMetric?.('refreshReuseAllowed');
      return completeRefresh(token, successor, answer, client, deps, requestId);
    }
  }
  deps.countMetric?.('refreshReuseRefused');
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
