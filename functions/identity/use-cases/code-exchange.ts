import { createHash, randomUUID } from 'node:crypto';
import { REFRESH_GRACE_SECONDS } from '../config.ts';
import { handleKey, homed, homeOf } from '../home-region.ts';
import type { Account, AuthorizationCode, Client, CodeAnswer } from '../model.ts';
import { newSecret, sameSecret } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';
import { revokeFamily } from './revocation.ts';
import { seal, unseal } from './sealed-answer.ts';
import {
  ACCESS_TOKEN_SECONDS,
  REFRESH_TOKEN_SECONDS,
  signAccessToken,
  signIdToken,
  tokenResponse,
  type SigningDeps,
  type TokenResponse,
} from './token-minting.ts';

type CodeExchangePorts = 'codes' | 'accounts' | 'sessions' | 'families' | 'refreshTokens' | 'denyList';
export type CodeExchangeDeps = Pick<
  IdentityDeps,
  CodeExchangePorts | 'audit' | 'now' | 'refreshGraceSeconds' | 'countMetric' | 'homeRegion'
> &
  SigningDeps;

/**
 * grant_type=authorization_code: a one-time code and its PKCE verifier, for access, refresh and ID tokens.
 *
 * As for a refresh (refresh.ts), the whole answer is made before the code is used up and stored with
 * it, sealed under the code and its verifier, in the same conditional write. A retry of the same
 * exchange (same code, client, redirect_uri and verifier) within the grace, while the refresh token it
 * answered is unused, gets that same answer; any other second use is a replay and revokes what the
 * code produced (RFC 6749 §4.1.2).
 */
export async function exchangeCode(
  form: Record<string, string | undefined>,
  client: Client,
  deps: CodeExchangeDeps,
  requestId: string,
): Promise<TokenResponse> {
  if (!form.code || !form.redirect_uri || !form.code_verifier) {
    throw new OAuthError('invalid_request', 'code, redirect_uri and code_verifier are required');
  }
  const codeHash = handleKey(form.code);
  // Check what can be refused before using the code up: a refused request leaves it as it was.
  const stored = await deps.codes.code(codeHash);
  if (!stored) throw new OAuthError('invalid_grant', 'the code is not valid');
  if (stored.clientId !== client.clientId || stored.redirectUri !== form.redirect_uri) {
    if (stored.used) return replayed(stored, client, deps, requestId);
    throw new OAuthError('invalid_grant', 'the code was issued to another client or redirect_uri');
  }
  if (!verifierMatches(form.code_verifier, stored.codeChallenge)) {
    if (stored.used) return replayed(stored, client, deps, requestId);
    throw new OAuthError('invalid_grant', 'the code_verifier does not match the code_challenge');
  }
  const secret = `${form.code} ${form.code_verifier}`;
  if (stored.used) return retryOrReplay(secret, stored, client, deps, requestId);
  if (stored.expiresAt <= nowSeconds(deps)) throw new OAuthError('invalid_grant', 'the code has expired');
  // Logout deletes the SSO session: a code it issued before is not redeemed after (and see completeExchange).
  if (!(await deps.sessions.session(stored.sessionHash))) {
    throw new OAuthError('invalid_grant', 'the sign-in that issued the code has ended');
  }
  const account = await deps.accounts.account(stored.accountId);
  if (!account) throw new OAuthError('invalid_grant', 'the account no longer exists');
  const { answer, sealed } = await makeAnswer(secret, codeHash, stored, account, client, deps);
  const consumed = await deps.codes.consumeCode(codeHash, sealed);
  if (!consumed) throw new OAuthError('invalid_grant', 'the code is not valid');
  if (consumed.replayed) return retryOrReplay(secret, consumed.code, client, deps, requestId);
  return completeExchange(consumed.code, sealed, answer, account, client, deps, requestId);
}

/** RFC 7636 S256, with the verifier's allowed characters and length. */
const verifierMatches = (verifier: string, challenge: string) =>
  /^[A-Za-z0-9._~-]{43,128}$/.test(verifier) &&
  sameSecret(createHash('sha256').update(verifier).digest('base64url'), challenge);

/**
 * The tokens for the code, not yet handed out nor stored: a new family homed with the code (and so
 * with its session, home-region.ts), its access, refresh and ID tokens.
 */
async function makeAnswer(
  secret: string,
  codeHash: string,
  code: AuthorizationCode,
  account: Account,
  client: Client,
  deps: CodeExchangeDeps,
): Promise<{ answer: TokenResponse; sealed: CodeAnswer }> {
  const home = homeOf(codeHash) ?? deps.homeRegion;
  const access = await signAccessToken(account.accountId, client, code.scope, deps);
  const refresh = homed(home, newSecret());
  const answer = tokenResponse(access.token, code.scope, {
    refresh_token: refresh,
    id_token: await signIdToken(account, client, code, access.token, deps),
  });
  const sealed: CodeAnswer = {
    at: nowSeconds(deps),
    familyId: homed(home, randomUUID()),
    accessJti: access.jti,
    accessExp: access.exp,
    refreshHash: handleKey(refresh),
    sealed: seal(secret, answer),
  };
  return { answer, sealed };
}

/**
 * Opens the family, links it to the SSO session (for logout) and stores the refresh token. Every step
 * may run twice (a retry within the grace) and ends the same: the family and the refresh token are
 * written only if absent, so a revoked family is never made live again.
 */
async function completeExchange(
  code: AuthorizationCode,
  sealed: CodeAnswer,
  answer: TokenResponse,
  account: Pick<Account, 'accountId' | 'type'>,
  client: Client,
  deps: CodeExchangeDeps,
  requestId: string,
): Promise<TokenResponse> {
  const { familyId } = sealed;
  const opened = await deps.families.putFamily({
    familyId,
    clientId: client.clientId,
    sub: account.accountId,
    revoked: false,
    accessJtis: [{ jti: sealed.accessJti, exp: sealed.accessExp }],
    expiresAt: sealed.at + REFRESH_TOKEN_SECONDS,
  });
  if (opened === 'exists' && (await deps.families.family(familyId))?.revoked !== false) {
    await deps.denyList.deny(sealed.accessJti, sealed.accessExp);
    throw new OAuthError('invalid_grant', 'the code is not valid');
  }
  // Conditional on the session being alive: a logout that ran meanwhile either found this family in
  // the session (and revoked it) or refuses the link here, and then nothing is handed out.
  if ((await deps.sessions.addFamilyToSession(code.sessionHash, familyId)) === 'ended') {
    await revokeFamily(familyId, deps, requestId);
    throw new OAuthError('invalid_grant', 'the sign-in that issued the code has ended');
  }
  await deps.refreshTokens.putRefresh({
    tokenHash: sealed.refreshHash,
    familyId,
    clientId: client.clientId,
    sub: account.accountId,
    scope: code.scope,
    expiresAt: sealed.at + REFRESH_TOKEN_SECONDS,
    used: false,
  });
  await deps.audit({
    actor: { kind: account.type, id: account.accountId, clientId: client.clientId },
    action: 'identity.token.issue',
    resource: `client/${client.clientId}`,
    outcome: 'success',
    requestId,
  });
  return answer;
}

/**
 * A used code again, with its right client, redirect_uri and verifier: within the grace, while the
 * refresh token it answered is unused (the client has not moved on), the retry gets the same answer.
 */
async function retryOrReplay(
  secret: string,
  code: AuthorizationCode,
  client: Client,
  deps: CodeExchangeDeps,
  requestId: string,
): Promise<TokenResponse> {
  const { answer: sealed } = code;
  const grace = deps.refreshGraceSeconds ?? REFRESH_GRACE_SECONDS;
  if (sealed && grace > 0 && nowSeconds(deps) - sealed.at <= grace) {
    const refresh = await deps.refreshTokens.refresh(sealed.refreshHash);
    const answer = refresh?.used ? undefined : unseal<TokenResponse>(secret, sealed.sealed);
    const account = answer && (await deps.accounts.account(code.accountId));
    if (answer && account) {
      deps.countMetric?.('codeRetryAllowed');
      return completeExchange(code, sealed, answer, account, client, deps, requestId);
    }
  }
  return replayed(code, client, deps, requestId);
}

/** A code used twice revokes what it produced (RFC 6749 §4.1.2). */
async function replayed(
  code: AuthorizationCode,
  client: Client,
  deps: CodeExchangeDeps,
  requestId: string,
): Promise<never> {
  deps.countMetric?.('codeReplayRefused');
  if (code.familyId) await revokeFamily(code.familyId, deps, requestId);
  if (code.accessJti) await deps.denyList.deny(code.accessJti, nowSeconds(deps) + ACCESS_TOKEN_SECONDS);
  await deps.audit({
    actor: { kind: 'client', id: client.clientId, clientId: client.clientId },
    action: 'identity.code.replay',
    resource: `client/${client.clientId}`,
    outcome: 'denied',
    requestId,
  });
  throw new OAuthError('invalid_grant', 'the code was already used; the tokens it produced are revoked');
}
