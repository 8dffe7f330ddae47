import { createHash, randomUUID } from 'node:crypto';
import type { Account, AuthorizationCode, Client } from '../model.ts';
import { hashSecret, sameSecret } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';
import { revokeFamily } from './revocation.ts';
import {
  ACCESS_TOKEN_SECONDS,
  REFRESH_TOKEN_SECONDS,
  signAccessToken,
  signIdToken,
  storeNewRefreshToken,
  tokenResponse,
  type SigningDeps,
  type TokenResponse,
} from './token-minting.ts';

type CodeExchangePorts = 'codes' | 'accounts' | 'sessions' | 'families' | 'refreshTokens' | 'denyList';
export type CodeExchangeDeps = Pick<IdentityDeps, CodeExchangePorts | 'audit' | 'now'> & SigningDeps;

/** grant_type=authorization_code: a one-time code and its PKCE verifier, for access, refresh and ID tokens. */
export async function exchangeCode(
  form: Record<string, string | undefined>,
  client: Client,
  deps: CodeExchangeDeps,
  requestId: string,
): Promise<TokenResponse> {
  if (!form.code || !form.redirect_uri || !form.code_verifier) {
    throw new OAuthError('invalid_request', 'code, redirect_uri and code_verifier are required');
  }
  const codeHash = hashSecret(form.code);
  const code = await consumeCode(codeHash, client, deps, requestId);
  if (code.expiresAt <= nowSeconds(deps)) throw new OAuthError('invalid_grant', 'the code has expired');
  if (code.clientId !== client.clientId || code.redirectUri !== form.redirect_uri) {
    throw new OAuthError('invalid_grant', 'the code was issued to another client or redirect_uri');
  }
  if (!verifierMatches(form.code_verifier, code.codeChallenge)) {
    throw new OAuthError('invalid_grant', 'the code_verifier does not match the code_challenge');
  }
  // Logout deletes the SSO session: a code it issued before is not redeemed after.
  if (!(await deps.sessions.session(code.sessionHash))) {
    throw new OAuthError('invalid_grant', 'the sign-in that issued the code has ended');
  }
  const account = await deps.accounts.account(code.accountId);
  if (!account) throw new OAuthError('invalid_grant', 'the account no longer exists');
  return issueForCode(codeHash, code, account, client, deps, requestId);
}

/** Uses the code up; a code used twice revokes what it produced (RFC 6749 §4.1.2). */
async function consumeCode(codeHash: string, client: Client, deps: CodeExchangeDeps, requestId: string) {
  const consumed = await deps.codes.consumeCode(codeHash);
  if (!consumed) throw new OAuthError('invalid_grant', 'the code is not valid');
  const { code, replayed } = consumed;
  if (!replayed) return code;
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

/** RFC 7636 S256, with the verifier's allowed characters and length. */
const verifierMatches = (verifier: string, challenge: string) =>
  /^[A-Za-z0-9._~-]{43,128}$/.test(verifier) &&
  sameSecret(createHash('sha256').update(verifier).digest('base64url'), challenge);

/** Opens a token family for the code, linked to the code (for replays) and to the SSO session (for logout). */
async function issueForCode(
  codeHash: string,
  code: AuthorizationCode,
  account: Account,
  client: Client,
  deps: CodeExchangeDeps,
  requestId: string,
): Promise<TokenResponse> {
  const familyId = randomUUID();
  const access = await signAccessToken(account.accountId, client, code.scope, deps);
  await deps.families.putFamily({
    familyId,
    clientId: client.clientId,
    sub: account.accountId,
    revoked: false,
    accessJtis: [{ jti: access.jti, exp: access.exp }],
    expiresAt: nowSeconds(deps) + REFRESH_TOKEN_SECONDS,
  });
  await deps.codes.linkCodeTokens(codeHash, familyId, access.jti);
  await deps.sessions.addFamilyToSession(code.sessionHash, familyId);
  const refresh = await storeNewRefreshToken(familyId, client, account.accountId, code.scope, deps);
  await deps.audit({
    actor: { kind: account.type, id: account.accountId, clientId: client.clientId },
    action: 'identity.token.issue',
    resource: `client/${client.clientId}`,
    outcome: 'success',
    requestId,
  });
  return tokenResponse(access.token, code.scope, {
    refresh_token: refresh,
    id_token: await signIdToken(account, client, code, access.token, deps),
  });
}
