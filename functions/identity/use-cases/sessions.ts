import { DependencyUnavailableError } from '../../../shared/errors.ts';
import type { Account, SsoSession } from '../model.ts';
import { handleKey, homed, untagged } from '../home-region.ts';
import { newSecret } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';

/** How long one sign-in serves every provincial service without asking again. */
export const SSO_SESSION_SECONDS = 8 * 3600;

export type SessionDeps = Pick<IdentityDeps, 'sessions' | 'now' | 'homeRegion' | 'fallbackHomeRegions'>;

/**
 * Opens an SSO session, homed in the region serving the sign-in, or in the other region when this
 * one's table cannot be reached (home-region.ts); the cookie value is returned once and stored only
 * as a hash.
 */
export async function startSession(
  account: Account,
  deps: SessionDeps,
): Promise<{ cookie: string; session: SsoSession }> {
  const homes = deps.homeRegion ? [deps.homeRegion, ...(deps.fallbackHomeRegions ?? [])] : [undefined];
  for (const [index, home] of homes.entries()) {
    const cookie = homed(home, newSecret());
    const now = nowSeconds(deps);
    const session: SsoSession = {
      sessionHash: handleKey(cookie),
      accountId: account.accountId,
      authTime: now,
      expiresAt: now + SSO_SESSION_SECONDS,
      families: [],
    };
    try {
      await deps.sessions.putSession(session);
      return { cookie, session };
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError) || index === homes.length - 1) throw error;
    }
  }
  throw new Error('unreachable');
}

/** The session the cookie opened, unless it has ended. */
export async function activeSession(cookie: string | undefined, deps: SessionDeps): Promise<SsoSession | undefined> {
  if (!cookie) return undefined;
  const session = await deps.sessions.session(handleKey(cookie));
  return session && session.expiresAt > nowSeconds(deps) ? session : undefined;
}

/**
 * The session to issue codes under, for the authorization endpoint: one whose home region cannot be
 * reached counts as none, so the person signs in again here (a new session, homed here) instead of
 * getting a 503 until that region returns.
 */
export async function reachableSession(cookie: string | undefined, deps: SessionDeps): Promise<SsoSession | undefined> {
  try {
    return await activeSession(cookie, deps);
  } catch (error) {
    if (error instanceof DependencyUnavailableError) return undefined;
    throw error;
  }
}

/** The `sid` claim of the ID tokens issued under a session: a prefix of its hash, without the region tag. */
export const sessionId = (sessionHash: string): string => untagged(sessionHash).slice(0, 22);
