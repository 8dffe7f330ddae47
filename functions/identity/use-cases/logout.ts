import { decodeJwt, verifyEs256Jose } from '../../../shared/auth/jwt.ts';
import type { KeySource } from '../../../shared/auth/verifier.ts';
import type { IdentityDeps } from './deps.ts';
import { logout, postLogoutRedirect, type FamilyRevocationDeps } from './revocation.ts';
import { activeSession, sessionId } from './sessions.ts';

/** What the claims of a valid id_token_hint tell: whose sign-in it was, for which client and session. */
interface IdTokenHint {
  sub: string;
  clientId: string;
  sid?: string;
}

/**
 * An ID token this issuer signed (ES256, typ JWT, a published key, our iss). Its expiry is not checked:
 * OpenID Connect RP-Initiated Logout 1.0 §2 lets a relying party send an expired ID token as the hint.
 * An access token (typ at+jwt) is no ID token.
 */
export async function verifiedIdTokenHint(
  token: string,
  keys: KeySource,
  deps: Pick<IdentityDeps, 'issuer'>,
): Promise<IdTokenHint | undefined> {
  const decoded = decodeJwt(token);
  if (decoded?.header.alg !== 'ES256' || decoded.header.typ !== 'JWT') return undefined;
  const { kid } = decoded.header;
  const key = typeof kid === 'string' ? (await keys()).find((jwk) => jwk.kid === kid) : undefined;
  if (!key || !verifyEs256Jose(key, decoded.signingInput, decoded.signature)) return undefined;
  const { iss, sub, aud, sid } = decoded.claims;
  if (iss !== deps.issuer || typeof sub !== 'string' || typeof aud !== 'string') return undefined;
  return { sub, clientId: aud, ...(typeof sid === 'string' ? { sid } : {}) };
}

export type LogoutDeps = FamilyRevocationDeps & Pick<IdentityDeps, 'sessions' | 'clients' | 'issuer'>;

/** `confirm`: ask the person first, nothing has ended; `done`: signed out (or there was nothing to end). */
export type LogoutOutcome = { kind: 'confirm'; redirectTo?: string } | { kind: 'done'; redirectTo?: string };

/**
 * OpenID Connect RP-Initiated Logout 1.0. The session ends at once only for a valid id_token_hint of this
 * session's account (and session), or on the confirmation form's POST (`confirmed`); otherwise the person
 * is asked, so a forged cross-site link cannot sign anyone out. post_logout_redirect_uri is followed only
 * when registered for the hint's client (or, without a hint, for client_id).
 */
export async function rpInitiatedLogout(
  params: Record<string, string | undefined>,
  cookie: string | undefined,
  confirmed: boolean,
  keys: KeySource,
  deps: LogoutDeps,
  requestId: string,
): Promise<LogoutOutcome> {
  const verified = params.id_token_hint ? await verifiedIdTokenHint(params.id_token_hint, keys, deps) : undefined;
  // A client_id sent with the hint must be the hint's audience (§2).
  const hint = verified && (!params.client_id || params.client_id === verified.clientId) ? verified : undefined;
  const clientId = hint ? hint.clientId : params.client_id;
  const redirectTo = await postLogoutRedirect({ ...params, client_id: clientId }, deps);
  const session = await activeSession(cookie, deps);
  if (!session) return { kind: 'done', redirectTo };
  const hintIsThisSession =
    hint && hint.sub === session.accountId && (hint.sid === undefined || hint.sid === sessionId(session.sessionHash));
  if (!hintIsThisSession && !confirmed) return { kind: 'confirm', redirectTo };
  await logout(cookie, deps, requestId);
  return { kind: 'done', redirectTo };
}
