import { describe, expect, it } from 'vitest';
import { handleKey } from '../../../functions/identity/home-region.ts';
import type { IdentityStore } from '../../../functions/identity/ports.ts';
import type { IdentityDeps } from '../../../functions/identity/use-cases/deps.ts';
import { exchangeCode } from '../../../functions/identity/use-cases/code-exchange.ts';
import { OAuthError } from '../../../functions/identity/use-cases/oauth-error.ts';
import { refreshGrant } from '../../../functions/identity/use-cases/refresh.ts';
import { logout } from '../../../functions/identity/use-cases/revocation.ts';
import type { TokenResponse } from '../../../functions/identity/use-cases/token-minting.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
import { identityWorld, type IdentityWorld, PORTAL_REDIRECT, signedInCode } from '../../support/identity-world.ts';

/** The world's ports with `hook` run before chosen calls: a fault (throw) or a racing request (await it). */
function hooked(w: IdentityWorld, hooks: Partial<Record<keyof IdentityStore, () => Promise<void>>>): IdentityDeps {
  const store = new Proxy(w.store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await hooks[property as keyof IdentityStore]?.();
        return value.apply(target, args);
      };
    },
  });
  return {
    ...w.deps,
    accounts: store,
    sessions: store,
    codes: store,
    refreshTokens: store,
    families: store,
    denyList: store,
  };
}

const exchange = (w: IdentityWorld, code: string, verifier: string, deps: IdentityDeps = w.deps) =>
  exchangeCode({ code, redirect_uri: PORTAL_REDIRECT, code_verifier: verifier }, w.portal, deps, 'req-token');

const jtiOf = (tokens: TokenResponse) =>
  (JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;

const familyOf = async (w: IdentityWorld, tokens: TokenResponse) =>
  (await w.store.refresh(handleKey(tokens.refresh_token!)))!.familyId;

const valid = async (w: IdentityWorld, tokens: TokenResponse) =>
  Boolean(await w.deps.activeAccessToken(tokens.access_token));

describe('code exchange retry grace', () => {
  it('answers a retry of the same exchange within the grace with the same tokens, which stay valid', async () => {
    const w = await identityWorld();
    const metrics: string[] = [];
    const deps = { ...w.deps, countMetric: (name: string) => metrics.push(name) } as IdentityDeps;
    const { code, verifier } = await signedInCode(w);
    const first = await exchange(w, code, verifier, deps);
    w.advance(9);
    const again = await exchange(w, code, verifier, deps);
    expect(again).toEqual(first);
    expect(await valid(w, first)).toBe(true);
    expect((await w.store.family(await familyOf(w, first)))!.revoked).toBe(false);
    expect(metrics).toEqual(['codeRetryAllowed']);
    // The refresh token answered twice is one token, usable once.
    await expect(refreshGrant({ refresh_token: first.refresh_token }, w.portal, w.deps, 'r')).resolves.toBeDefined();
  });

  it('gives a retry after a 503 (the code used, the refresh token not yet stored) the same answer, still signed in', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    let failures = 1;
    const flaky = hooked(w, {
      putRefresh: async () => {
        if (failures-- > 0) throw new DependencyUnavailableError('dynamodb');
      },
    });
    await expect(exchange(w, code, verifier, flaky)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect((await w.store.code(handleKey(code)))!.used).toBe(true);
    w.advance(2);
    const tokens = await exchange(w, code, verifier, flaky);
    expect(await valid(w, tokens)).toBe(true);
    const refreshed = await refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'req-refresh');
    expect(refreshed.access_token).toBeDefined();
  });

  it('answers two parallel exchanges of one code with the same tokens', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    const [one, two] = await Promise.all([exchange(w, code, verifier), exchange(w, code, verifier)]);
    expect(one).toEqual(two);
    expect(await valid(w, one)).toBe(true);
  });

  it('treats a second use past the grace as a replay: the tokens it produced are revoked', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    const first = await exchange(w, code, verifier);
    w.advance(11);
    await expect(exchange(w, code, verifier)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await w.store.family(await familyOf(w, first)))!.revoked).toBe(true);
    expect(await w.store.isDenied(jtiOf(first))).toBe(true);
    expect(w.events).toContainEqual(expect.objectContaining({ action: 'identity.code.replay', outcome: 'denied' }));
  });

  it('treats a second use with another verifier as a replay, even within the grace', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    const first = await exchange(w, code, verifier);
    await expect(exchange(w, code, 'x'.repeat(43))).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await w.store.family(await familyOf(w, first)))!.revoked).toBe(true);
  });

  it('treats a retry after the answered refresh token was used (the client moved on) as a replay', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    const first = await exchange(w, code, verifier);
    await refreshGrant({ refresh_token: first.refresh_token }, w.portal, w.deps, 'req-refresh');
    await expect(exchange(w, code, verifier)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await w.store.family(await familyOf(w, first)))!.revoked).toBe(true);
  });

  it('has no grace when it is set to 0', async () => {
    const w = await identityWorld();
    const deps = { ...w.deps, refreshGraceSeconds: 0 };
    const { code, verifier } = await signedInCode(w);
    const first = await exchange(w, code, verifier, deps);
    await expect(exchange(w, code, verifier, deps)).rejects.toBeInstanceOf(OAuthError);
    expect(await valid(w, first)).toBe(false);
  });

  it('leaves a code refused for its verifier usable by the right one', async () => {
    const w = await identityWorld();
    const { code, verifier } = await signedInCode(w);
    await expect(exchange(w, code, 'y'.repeat(43))).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(exchange(w, code, verifier)).resolves.toHaveProperty('access_token');
  });
});

describe('logout racing a code exchange', () => {
  it('fails the exchange when logout ends the session between its checks and the family link', async () => {
    const w = await identityWorld();
    const { code, verifier, cookie } = await signedInCode(w);
    // The exchange has checked the session and used the code up; logout runs now, before the link.
    const racing = hooked(w, { putFamily: () => logout(cookie, w.deps, 'req-logout') });
    await expect(exchange(w, code, verifier, racing)).rejects.toMatchObject({ error: 'invalid_grant' });
    const { answer } = (await w.store.code(handleKey(code)))!;
    expect((await w.store.family(answer!.familyId))!.revoked).toBe(true);
    expect(await w.store.isDenied(answer!.accessJti)).toBe(true);
    expect(await w.store.refresh(answer!.refreshHash)).toBeUndefined(); // no refresh token was stored
  });

  it('revokes the family of an exchange that linked it after logout read the session but before it was deleted', async () => {
    const w = await identityWorld();
    const { code, verifier, cookie } = await signedInCode(w);
    let exchanged: Promise<TokenResponse> | undefined;
    // Logout reads the session (no family yet); the exchange then runs to its end; then logout deletes.
    const waitingLogout = hooked(w, {
      deleteSession: async () => {
        exchanged = exchange(w, code, verifier);
        await exchanged.catch(() => undefined);
      },
    });
    await logout(cookie, waitingLogout, 'req-logout');
    const tokens = await exchanged!;
    expect(await valid(w, tokens)).toBe(false);
    expect((await w.store.family(await familyOf(w, tokens)))!.revoked).toBe(true);
    await expect(refreshGrant({ refresh_token: tokens.refresh_token }, w.portal, w.deps, 'r')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('leaves no valid token from a session ended by logout, however the two interleave', async () => {
    for (let round = 0; round < 40; round += 1) {
      const w = await identityWorld();
      const { code, verifier, cookie } = await signedInCode(w);
      const jitter = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 3));
      const slow = hooked(w, {
        code: jitter,
        consumeCode: jitter,
        session: jitter,
        putFamily: jitter,
        addFamilyToSession: jitter,
        deleteSession: jitter,
        revokeFamily: jitter,
        putRefresh: jitter,
      });
      const [exchanged] = await Promise.allSettled([exchange(w, code, verifier, slow), logout(cookie, slow, 'req')]);
      expect(await w.store.session(handleKey(cookie))).toBeUndefined();
      if (exchanged.status === 'fulfilled') {
        expect(await valid(w, exchanged.value), `round ${round}`).toBe(false);
        await expect(
          refreshGrant({ refresh_token: exchanged.value.refresh_token }, w.portal, w.deps, 'r'),
        ).rejects.toMatchObject({ error: 'invalid_grant' });
      } else {
        expect(exchanged.reason).toMatchObject({ error: 'invalid_grant' });
      }
    }
  });
});
