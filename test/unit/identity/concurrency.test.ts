import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Client, RefreshToken } from '../../../functions/identity/model.ts';
import { hashPassword, hashSecret, newSecret, verifyPassword } from '../../../functions/identity/passwords.ts';
import { identityPorts, type IdentityStore } from '../../../functions/identity/ports.ts';
import type { IdentityDeps } from '../../../functions/identity/use-cases/deps.ts';
import { authenticate, LoginFailedError } from '../../../functions/identity/use-cases/login.ts';
import { OAuthError } from '../../../functions/identity/use-cases/oauth-error.ts';
import { refreshGrant } from '../../../functions/identity/use-cases/refresh.ts';
import { REFRESH_TOKEN_SECONDS } from '../../../functions/identity/use-cases/token-minting.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { accessTokenVerifier } from '../../../shared/auth/verifier.ts';
import { fileSigner } from '../../../shared/crypto/signer.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
import { ensureSigningKey } from '../../../local/keys.ts';
import { MemoryIdentityStore } from '../../support/memory-identity-store.ts';

/**
 * The identity use cases under concurrency and partial failure: the in-memory store behind a proxy
 * that waits a random few milliseconds before and after every call (so parallel requests interleave
 * as they would on DynamoDB) and can fail chosen calls with a 503, as an unreachable table does.
 */

const SLOW = 60_000;
// The lockout's counting, not the cost: scrypt at N=2^10 for the account and the unknown identifier's
// decoy (the cost is checked in passwords.test.ts, and used by the handler in
// logout-and-client-audit.in-process.test.ts). The attempt is counted before the check either way.
const CHEAP = { N: 2 ** 10, r: 8, p: 1 } as const;
const ISSUER = 'https://id.example.gov.cn';
const AUDIENCE = 'dgov-api';
const START = 1_767_225_605;
const PORTAL: Client = {
  clientId: 'portal-app',
  kind: 'public',
  scopes: ['licences:read'],
  redirectUris: ['https://portal.example.gov.cn/callback'],
  createdAt: '2026-01-01T00:00:00Z',
};

const keyDir = mkdtempSync(join(tmpdir(), 'dgov-identity-concurrency-'));
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));
const signer = fileSigner(ensureSigningKey(join(keyDir, 'keys', 'token-signing.pem')));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jitter = () => sleep(Math.random() * 4);

type Interceptor = (method: string, args: unknown[]) => Promise<void> | void;

/** The store with latency on every call; `before` may throw (a fault) or act (a racing request). */
function slowStore(store: MemoryIdentityStore, before: Interceptor = () => {}): IdentityStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await jitter();
        await before(String(property), args);
        const answer = await value.apply(target, args);
        await jitter();
        return answer;
      };
    },
  });
}

function world(options: { before?: Interceptor; graceSeconds?: number } = {}) {
  const memory = new MemoryIdentityStore();
  const store = slowStore(memory, options.before);
  const clock = { now: START };
  const metrics: string[] = [];
  let passwordChecks = 0;
  const deps: IdentityDeps = {
    ...identityPorts(store),
    signer,
    issuer: ISSUER,
    audience: AUDIENCE,
    loginAttemptsPerMinute: 10_000,
    passwordCost: CHEAP,
    activeAccessToken: async () => undefined,
    now: () => clock.now,
    verifyPassword: (password, hash) => {
      passwordChecks += 1;
      return verifyPassword(password, hash);
    },
    ...(options.graceSeconds === undefined ? {} : { refreshGraceSeconds: options.graceSeconds }),
    countMetric: (name) => metrics.push(name),
    audit: async (input): Promise<AuditEvent> => ({ ...input, eventId: randomUUID(), time: '', region: 'cn-test-1' }),
  };
  const verify = accessTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: async () => [await signer.publicJwk()],
    isRevoked: (jti) => memory.isDenied(jti),
    now: () => clock.now,
  });
  /** A family with one refresh token, as a code exchange leaves it. */
  const family = async () => {
    const familyId = randomUUID();
    await memory.putFamily({
      familyId,
      clientId: PORTAL.clientId,
      sub: 'acc-1',
      revoked: false,
      accessJtis: [],
      expiresAt: clock.now + REFRESH_TOKEN_SECONDS,
    });
    const value = newSecret();
    const token: RefreshToken = {
      tokenHash: hashSecret(value),
      familyId,
      clientId: PORTAL.clientId,
      sub: 'acc-1',
      scope: 'openid licences:read',
      expiresAt: clock.now + REFRESH_TOKEN_SECONDS,
      used: false,
    };
    await memory.putRefresh(token);
    return { familyId, value };
  };
  const refresh = (value: string, requestId: string = randomUUID(), scope?: string) =>
    refreshGrant({ refresh_token: value, ...(scope ? { scope } : {}) }, PORTAL, deps, requestId);
  const valid = (access: string) =>
    verify(access).then(
      () => true,
      () => false,
    );
  return { memory, deps, clock, metrics, family, refresh, valid, passwordChecks: () => passwordChecks };
}

const settle = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);
const fulfilled = <T>(results: PromiseSettledResult<T>[]) =>
  results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
const invalidGrant = (error: unknown) => error instanceof OAuthError && error.error === 'invalid_grant';

describe('login lockout under parallel guesses', () => {
  it('checks at most 5 of 40 parallel wrong passwords, refuses them all, and is locked after', {
    timeout: SLOW,
  }, async () => {
    const w = world();
    const passwordHash = await hashPassword('Tai-Shan-Sunrise-2024', CHEAP);
    await w.memory.createAccount({
      accountId: 'acc-1',
      type: 'citizen',
      identifier: '11010519491231002X',
      name: '张三',
      passwordHash,
      createdAt: '2026-01-01T00:00:00Z',
    });
    const context = () => ({ sourceIp: '203.0.113.7', requestId: randomUUID() });
    const guesses = Array.from({ length: 40 }, (_, i) =>
      authenticate('11010519491231002X', `wrong-${i}`, context(), w.deps),
    );
    const results = await settle(guesses);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof LoginFailedError)).toBe(true);
    expect(w.passwordChecks()).toBe(5);
    expect(await w.memory.lockedUntil('acc-1')).toBeGreaterThan(START);
    const right = await settle([authenticate('11010519491231002X', 'Tai-Shan-Sunrise-2024', context(), w.deps)]);
    expect(right[0]).toMatchObject({ status: 'rejected', reason: { reason: 'locked' } });
    expect(w.passwordChecks()).toBeLessThanOrEqual(5);
  });

  it('checks at most 5 of 40 parallel guesses at an unknown identifier', { timeout: SLOW }, async () => {
    const w = world();
    const guesses = Array.from({ length: 40 }, (_, i) =>
      authenticate('440305199001011234', `guess-${i}`, { sourceIp: '203.0.113.7', requestId: `r${i}` }, w.deps),
    );
    await settle(guesses);
    expect(w.passwordChecks()).toBe(5);
  });
});

describe('refresh under concurrency and retries', () => {
  it('gives two parallel refreshes with one token the same successor pair, within the grace', async () => {
    for (let round = 0; round < 10; round += 1) {
      const w = world();
      const { familyId, value } = await w.family();
      const [a, b] = await Promise.all([w.refresh(value), w.refresh(value)]);
      expect(b).toEqual(a);
      expect(await w.valid(a.access_token)).toBe(true);
      expect((await w.memory.family(familyId))!.revoked).toBe(false);
      expect(w.metrics).toEqual(['refreshReuseAllowed']);
      // The successor works once, as any refresh token.
      await w.refresh(a.refresh_token!);
    }
  });

  // Without the grace the loser of the race is a reuse: it revokes the family, and whatever the winner
  // got must be dead too, however the two interleave.
  it('without the grace leaves no valid access token in a family the loser revoked', async () => {
    for (let round = 0; round < 20; round += 1) {
      const w = world({ graceSeconds: 0 });
      const { familyId, value } = await w.family();
      const results = await settle([w.refresh(value), w.refresh(value)]);
      const answers = fulfilled(results);
      expect(answers.length).toBeLessThanOrEqual(1);
      for (const result of results) if (result.status === 'rejected') expect(invalidGrant(result.reason)).toBe(true);
      expect((await w.memory.family(familyId))!.revoked).toBe(true);
      for (const answer of answers) expect(await w.valid(answer.access_token)).toBe(false);
      expect(w.metrics).toContain('refreshReuseRefused');
    }
  });

  it('answers the same pair to a retry after a 503 that came after the token was used up', async () => {
    for (const failing of ['addAccessToFamily', 'putRefresh', 'family']) {
      let failed = false;
      const w = world({
        before: (method) => {
          if (method === failing && !failed) {
            failed = true;
            throw new DependencyUnavailableError('dynamodb');
          }
        },
      });
      const { familyId, value } = await w.family();
      await expect(w.refresh(value)).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect((await w.memory.refresh(hashSecret(value)))!.used).toBe(true);
      w.clock.now += 5;
      const retried = await w.refresh(value);
      const again = await w.refresh(value);
      expect(again).toEqual(retried);
      expect(await w.valid(retried.access_token)).toBe(true);
      expect((await w.memory.family(familyId))!.revoked).toBe(false);
      expect(w.metrics).toEqual(['refreshReuseAllowed', 'refreshReuseAllowed']);
      const next = await w.refresh(retried.refresh_token!);
      expect(await w.valid(next.access_token)).toBe(true);
    }
  });

  it('stores the successor only sealed: neither token of the answer is in the store in clear', async () => {
    const w = world();
    const { value } = await w.family();
    const answer = await w.refresh(value);
    const consumed = JSON.stringify(await w.memory.refresh(hashSecret(value)));
    expect(consumed).toContain('"successor"');
    expect(consumed).not.toContain(answer.refresh_token);
    expect(consumed).not.toContain(answer.access_token);
    expect(consumed).not.toContain(answer.access_token.split('.')[1]);
  });

  it('revokes the family for a reuse after the grace, of another scope, or of a token several rotations back', async () => {
    const cases: ((w: ReturnType<typeof world>, value: string) => Promise<unknown>)[] = [
      async (w, value) => {
        await w.refresh(value);
        w.clock.now += 11;
        return w.refresh(value);
      },
      async (w, value) => {
        await w.refresh(value);
        return w.refresh(value, 'r', 'openid');
      },
      async (w, value) => {
        const first = await w.refresh(value);
        await w.refresh(first.refresh_token!);
        return w.refresh(value); // within the grace, but two rotations back
      },
    ];
    for (const reuse of cases) {
      const w = world();
      const { familyId, value } = await w.family();
      const error = await reuse(w, value).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(invalidGrant(error)).toBe(true);
      expect((await w.memory.family(familyId))!.revoked).toBe(true);
      expect(w.metrics.at(-1)).toBe('refreshReuseRefused');
    }
  });

  it('refuses (invalid_grant) and denies the new access token when the family is revoked before it joins', async () => {
    let memory: MemoryIdentityStore | undefined;
    const w = world({
      before: async (method, args) => {
        if (method === 'addAccessToFamily') await memory!.revokeFamily(args[0] as string);
      },
    });
    memory = w.memory;
    const { value } = await w.family();
    const error = await w.refresh(value).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(invalidGrant(error)).toBe(true);
    const { successor } = (await w.memory.refresh(hashSecret(value)))!;
    expect(await w.memory.isDenied(successor!.accessJti)).toBe(true);
  });
});
