import { describe, expect, it } from 'vitest';
import { handleKey, homed, homeOf, untagged } from '../../../functions/identity/home-region.ts';
import { homedIdentityStore } from '../../../functions/identity/homed-store.ts';
import { hashSecret } from '../../../functions/identity/passwords.ts';
import { identityPorts, type IdentityStore } from '../../../functions/identity/ports.ts';
import type { IdentityDeps } from '../../../functions/identity/use-cases/deps.ts';
import { exchangeCode } from '../../../functions/identity/use-cases/code-exchange.ts';
import { OAuthError } from '../../../functions/identity/use-cases/oauth-error.ts';
import { refreshGrant } from '../../../functions/identity/use-cases/refresh.ts';
import { revokeToken } from '../../../functions/identity/use-cases/revocation.ts';
import { reachableSession, startSession } from '../../../functions/identity/use-cases/sessions.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
import {
  identityWorld,
  type IdentityWorld,
  newCode,
  PORTAL_REDIRECT,
  storedAccount,
} from '../../support/identity-world.ts';
import { MemoryIdentityStore } from '../../support/memory-identity-store.ts';

/**
 * Two regions on the use cases: each region's table a memory store of its own (what replication has
 * not brought over yet is simply not there), accounts and clients in a third (the part of the global
 * table both regions already agree on). Each region serves with the homed store (homed-store.ts), as
 * the Lambda does; `down` makes a region's table unreachable from everywhere.
 */
const A = 'cn-north-1';
const B = 'cn-northwest-1';

function twoRegions(w: IdentityWorld) {
  const tables: Record<string, MemoryIdentityStore> = {
    [A]: new MemoryIdentityStore(),
    [B]: new MemoryIdentityStore(),
  };
  const down = new Set<string>();
  const calls: string[] = [];
  const reach = (region: string): IdentityStore =>
    new Proxy(tables[region]!, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          calls.push(`${region} ${String(property)}`);
          if (down.has(region)) throw new DependencyUnavailableError('dynamodb');
          return value.apply(target, args);
        };
      },
    });
  const servedIn = (here: string): IdentityDeps => {
    // Accounts and clients from the shared store; the deny-list read from the serving region's own table.
    const shared = new Proxy(w.store, {
      get(target, property, receiver) {
        if (property === 'isDenied') return (jti: string) => tables[here]!.isDenied(jti);
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = homedIdentityStore({ here, shared, regions: { [A]: reach(A), [B]: reach(B) } });
    const fallbackHomeRegions = [A, B].filter((region) => region !== here);
    return { ...w.deps, ...identityPorts(store), homeRegion: here, fallbackHomeRegions };
  };
  const served: Record<string, IdentityDeps> = { [A]: servedIn(A), [B]: servedIn(B) };
  return { tables, down, calls, in: served };
}

/** Signs in at `region` and exchanges a code there: the tokens of a family homed in `region`. */
async function signedInAt(w: IdentityWorld, regions: ReturnType<typeof twoRegions>, region: string) {
  const deps = regions.in[region]!;
  const { cookie, session } = await startSession(await storedAccount(w), deps);
  const { code, verifier } = await newCode({ ...w, deps }, session);
  const tokens = await exchangeCode(
    { code, redirect_uri: PORTAL_REDIRECT, code_verifier: verifier },
    w.portal,
    deps,
    'req-token',
  );
  return { cookie, session, tokens };
}

const refreshIn = (w: IdentityWorld, deps: IdentityDeps, token: string) =>
  refreshGrant({ refresh_token: token }, w.portal, deps, 'req-refresh');

const settled = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);

describe('home-region handles', () => {
  it('tags a secret with its region, finds the region again, and keys the store by tag and hash', () => {
    const handle = homed(A, 'c2VjcmV0LXZhbHVl');
    expect(handle).toBe(`${A}.c2VjcmV0LXZhbHVl`);
    expect(homeOf(handle)).toBe(A);
    expect(homeOf('us-gov-west-1.x')).toBe('us-gov-west-1');
    expect(handleKey(handle)).toBe(`${A}.${hashSecret(handle)}`);
    expect(untagged(handleKey(handle))).toBe(hashSecret(handle));
  });

  it('leaves handles made without a region (single region, or issued before tags) untagged and homeless', () => {
    expect(homed(undefined, 'abc')).toBe('abc');
    // base64url secrets and their hashes hold no dot: no old handle reads as tagged
    expect(homeOf('cn-north-1_abc-DEF')).toBeUndefined();
    expect(handleKey('abc')).toBe(hashSecret('abc'));
    expect(untagged(hashSecret('abc'))).toBe(hashSecret('abc'));
  });
});

describe('two regions: every one-time or revocable item is used in its home region only', () => {
  it('homes a sign-in, its code, family and refresh tokens where the sign-in happened, even when served elsewhere', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    const { cookie, session, tokens } = await signedInAt(w, regions, A);
    expect(homeOf(cookie)).toBe(A);
    expect(homeOf(tokens.refresh_token!)).toBe(A);
    // A code issued by region B under that session is homed in A too, and stored only there.
    const { code } = await newCode({ ...w, deps: regions.in[B]! }, session);
    expect(homeOf(code)).toBe(A);
    expect(await regions.tables[A]!.code(handleKey(code))).toBeDefined();
    expect(await regions.tables[B]!.code(handleKey(code))).toBeUndefined();
    // A refresh served by region B is forwarded: consumed in A, its successor stored in A.
    const next = await refreshIn(w, regions.in[B]!, tokens.refresh_token!);
    expect(homeOf(next.refresh_token!)).toBe(A);
    expect((await regions.tables[A]!.refresh(handleKey(tokens.refresh_token!)))!.used).toBe(true);
    expect(await regions.tables[A]!.refresh(handleKey(next.refresh_token!))).toMatchObject({ used: false });
    expect(await regions.tables[B]!.refresh(handleKey(next.refresh_token!))).toBeUndefined();
  });

  it('redeems a refresh token once when both regions are asked at once: one successor, or a refusal', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    const { tokens } = await signedInAt(w, regions, A);
    const answers = await settled([
      refreshIn(w, { ...regions.in[A]!, refreshGraceSeconds: 0 }, tokens.refresh_token!),
      refreshIn(w, { ...regions.in[B]!, refreshGraceSeconds: 0 }, tokens.refresh_token!),
    ]);
    // The loser is a reuse: it revokes the family, and the winner, finding it revoked, may fail too.
    expect(answers.filter((answer) => answer.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    const refused = answers.filter((answer) => answer.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const { reason } of refused) expect(reason).toBeInstanceOf(OAuthError);
    const { familyId } = (await regions.tables[A]!.refresh(handleKey(tokens.refresh_token!)))!;
    expect((await regions.tables[A]!.family(familyId))!.revoked).toBe(true);
    expect(await regions.tables[B]!.family(familyId)).toBeUndefined(); // nothing was consumed in B
  });

  it('gives both regions the same successor when they are asked at once within the grace', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    const { tokens } = await signedInAt(w, regions, B);
    const [inA, inB] = await Promise.all([
      refreshIn(w, regions.in[A]!, tokens.refresh_token!),
      refreshIn(w, regions.in[B]!, tokens.refresh_token!),
    ]);
    expect(inA).toEqual(inB);
  });

  it('refuses with 503, and uses nothing up, when the home region cannot be reached', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    const { tokens } = await signedInAt(w, regions, A);
    regions.down.add(A);
    await expect(refreshIn(w, regions.in[B]!, tokens.refresh_token!)).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    regions.down.delete(A);
    expect((await regions.tables[A]!.refresh(handleKey(tokens.refresh_token!)))!.used).toBe(false);
    expect(await regions.tables[B]!.refresh(handleKey(tokens.refresh_token!))).toBeUndefined();
    // Once home answers again, the same token works (it was never consumed elsewhere).
    await expect(refreshIn(w, regions.in[B]!, tokens.refresh_token!)).resolves.toHaveProperty('refresh_token');
  });

  it('lets a person whose session is homed in a lost region sign in again rather than wait', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    const { cookie } = await signedInAt(w, regions, A);
    expect(await reachableSession(cookie, regions.in[B]!)).toBeDefined();
    regions.down.add(A);
    expect(await reachableSession(cookie, regions.in[B]!)).toBeUndefined(); // the login page, not a 503
    const again = await startSession(await storedAccount(w), regions.in[B]!);
    expect(homeOf(again.cookie)).toBe(B);
  });

  it('holds a revocation made in one region in the other at once: the family at home, the access token denied in both', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    const { tokens } = await signedInAt(w, regions, A);
    const { familyId } = (await regions.tables[A]!.refresh(handleKey(tokens.refresh_token!)))!;
    // Revoked through region B: the revocation is written in A, the family's home.
    await revokeToken({ token: tokens.refresh_token! }, w.portal, regions.in[B]!, 'req-revoke');
    expect((await regions.tables[A]!.family(familyId))!.revoked).toBe(true);
    await expect(refreshIn(w, regions.in[A]!, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(refreshIn(w, regions.in[B]!, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const { jti } = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as {
      jti: string;
    };
    expect(await regions.in[A]!.denyList.isDenied(jti)).toBe(true);
    expect(await regions.in[B]!.denyList.isDenied(jti)).toBe(true);
  });

  it("homes a new sign-in in the other region when the serving region's table cannot be reached", async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    regions.down.add(A);
    const { cookie, session } = await startSession(await storedAccount(w), regions.in[A]!);
    expect(homeOf(cookie)).toBe(B);
    expect(await regions.tables[B]!.session(session.sessionHash)).toBeDefined();
    const { code } = await newCode({ ...w, deps: regions.in[A]! }, session);
    expect(homeOf(code)).toBe(B);
  });

  it('denies in the serving region even when the other cannot be written, and then skips it for a while', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    regions.down.add(B);
    await regions.in[A]!.denyList.deny('jti-1', 2_000_000_000);
    await regions.in[A]!.denyList.deny('jti-2', 2_000_000_000);
    expect(await regions.tables[A]!.isDenied('jti-1')).toBe(true);
    expect(await regions.tables[A]!.isDenied('jti-2')).toBe(true);
    expect(regions.calls.filter((call) => call === `${B} deny`)).toHaveLength(1);
  });

  it('answers a handle homed in a region the stage does not have as unknown', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    await expect(refreshIn(w, regions.in[A]!, homed('eu-west-1', 'bm90LWEtdG9rZW4'))).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(
      exchangeCode(
        { code: homed('eu-west-1', 'bm90LWEtY29kZQ'), redirect_uri: PORTAL_REDIRECT, code_verifier: 'v'.repeat(43) },
        w.portal,
        regions.in[A]!,
        'req',
      ),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('keeps an untagged refresh token (issued before tags) working, homed in the region serving it', async () => {
    const w = await identityWorld();
    const regions = twoRegions(w);
    const { tokens } = await signedInAt(w, regions, A);
    const stored = (await regions.tables[A]!.refresh(handleKey(tokens.refresh_token!)))!;
    const legacy = 'bGVnYWN5LXJlZnJlc2gtdG9rZW4tdmFsdWU';
    await regions.tables[A]!.putRefresh({ ...stored, tokenHash: hashSecret(legacy), used: false });
    const next = await refreshIn(w, regions.in[A]!, legacy);
    // Its family is homed in A: the successor is tagged with A.
    expect(homeOf(next.refresh_token!)).toBe(A);
    expect((await regions.tables[A]!.refresh(hashSecret(legacy)))!.used).toBe(true);
  });
});
