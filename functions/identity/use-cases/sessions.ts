import type { Account, SsoSession } from '../model.ts';
import { hashSecret, newSecret } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';

/** How long one sign-in serves every provincial service without asking again. */
export const SSO_SESSION_SECONDS = 8 * 3600;

export type SessionDeps = Pick<IdentityDeps, 'sessions' | 'now'>;

/** Opens an SSO session; the cookie value is returned once and stored only as a hash. */
export async function startSession(
  account: Account,
  deps: SessionDeps,
): Promise<{ cookie: string; session: SsoSession }> {
  const cookie = newSecret();
  const now = nowSeconds(deps);
  const session: SsoSession = {
    sessionHash: hashSecret(cookie),
    accountId: account.accountId,
    authTime: now,
    expiresAt: now + SSO_SESSION_SECONDS,
    families: [],
  };
  await deps.sessions.putSession(session);
  return { cookie, session };
}

/** The session the cookie opened, unless it has ended. */
export async function activeSession(cookie: string | undefined, deps: SessionDeps): Promise<SsoSession | undefined> {
  if (!cookie) return undefined;
  const session = await deps.sessions.session(hashSecret(cookie));
  return session && session.expiresAt > nowSeconds(deps) ? session : undefined;
}
