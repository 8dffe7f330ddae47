import { describe, expect, it } from 'vitest';
import { hashPassword, SCRYPT_COST, verifyPassword } from '../../../functions/identity/passwords.ts';
import {
  type NewAccount,
  REGISTRATION_RETRY_SECONDS,
  registerAccount,
} from '../../../functions/identity/use-cases/accounts.ts';
import type { IdentityDeps } from '../../../functions/identity/use-cases/deps.ts';
import { authenticate, LoginFailedError } from '../../../functions/identity/use-cases/login.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { ConflictError, DependencyUnavailableError } from '../../../shared/errors.ts';
import { identityWorld, type IdentityWorld } from '../../support/identity-world.ts';

const SLOW = 60_000;
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };
const ID_NUMBER = '11010519491231002X';
const PASSWORD = 'Tai-Shan-Sunrise-2024';
const citizen = (overrides: Partial<Extract<NewAccount, { type: 'citizen' }>> = {}): NewAccount => ({
  type: 'citizen',
  idNumber: ID_NUMBER,
  name: '张三',
  phone: '13812345678',
  password: PASSWORD,
  ...overrides,
});

/** The world's deps with scrypt at a cheap cost, as the use-case tests take it. */
const cheap = (w: IdentityWorld, extra: Partial<IdentityDeps> = {}): IdentityDeps => ({
  ...w.deps,
  hashPassword: (password) => hashPassword(password, CHEAP),
  passwordCost: CHEAP,
  ...extra,
});
const register = (deps: IdentityDeps, input = citizen(), requestId = 'req-register') =>
  registerAccount(input, deps, { requestId, sourceIp: '203.0.113.7' });
/** Awaits a promise that must fail and returns what it failed with. */
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a failure, got a result');
    },
    (error: unknown) => error,
  );
const creations = (w: IdentityWorld) => w.events.filter((event) => event.action === 'identity.account.create');

describe('registration and retries (409 either way, as the API promises)', () => {
  it('audits identity.account.create as a success only once the account is written', async () => {
    const w = await identityWorld();
    const seenAtAudit: boolean[] = [];
    const deps = cheap(w, {
      audit: async (input): Promise<AuditEvent> => {
        seenAtAudit.push(Boolean(await w.store.accountByIdentifier(ID_NUMBER)));
        return w.deps.audit(input);
      },
    });
    const accountId = await register(deps);
    expect(seenAtAudit).toEqual([true]);
    expect(creations(w)).toEqual([expect.objectContaining({ resource: `account/${accountId}`, outcome: 'success' })]);
  });

  it('undoes the account when its audit event cannot be queued, and answers the 503', async () => {
    const w = await identityWorld();
    const deps = cheap(w, {
      audit: async () => {
        throw new DependencyUnavailableError('sqs');
      },
    });
    await expect(register(deps)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await w.store.accountByIdentifier(ID_NUMBER)).toBeUndefined();
    // The client's retry, with the queue back, registers as new.
    const accountId = await register(cheap(w));
    expect(await w.store.account(accountId)).toBeDefined();
  });

  it('answers a retry of a registration that was made (its answer lost) with a 409 naming that account, audited once', async () => {
    const w = await identityWorld();
    const first = await register(cheap(w), citizen(), 'req-1');
    w.advance(30);
    const retried = await failure(register(cheap(w), citizen(), 'req-2'));
    expect(retried).toBeInstanceOf(ConflictError);
    expect((retried as ConflictError).extensions).toEqual({ accountId: first });
    expect((retried as ConflictError).detail).toMatch(/already made/);
    expect(creations(w)).toHaveLength(1);
  });

  it('answers the same account to a retry whose first attempt was written but could not be undone', async () => {
    const w = await identityWorld();
    const failing = cheap(w, {
      audit: async () => {
        throw new DependencyUnavailableError('sqs');
      },
      accounts: new Proxy(w.store, {
        get(target, property, receiver) {
          if (property === 'deleteAccount')
            return async () => Promise.reject(new DependencyUnavailableError('dynamodb'));
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
    });
    await expect(register(failing)).rejects.toBeInstanceOf(DependencyUnavailableError);
    const kept = (await w.store.accountByIdentifier(ID_NUMBER))!;
    expect(((await failure(register(cheap(w)))) as ConflictError).extensions).toEqual({ accountId: kept.accountId });
  });

  it('makes one account of two parallel identical registrations, the other told which', async () => {
    const w = await identityWorld();
    const [one, two] = await Promise.allSettled([register(cheap(w)), register(cheap(w))]);
    const made = [one, two].find((result) => result.status === 'fulfilled') as PromiseFulfilledResult<string>;
    const told = [one, two].find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(told.reason).toBeInstanceOf(ConflictError);
    expect((told.reason as ConflictError).extensions).toEqual({ accountId: made.value });
  });

  it('answers 409 for the same identifier with another password, name or phone, or after the retry window', {
    timeout: SLOW,
  }, async () => {
    const w = await identityWorld();
    await register(cheap(w));
    for (const other of [
      citizen({ password: 'Another-Password-99' }),
      citizen({ name: '李四' }),
      citizen({ phone: '13900000000' }),
    ]) {
      const refused = await failure(register(cheap(w), other));
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as ConflictError).extensions).toEqual({}); // nothing about the account
    }
    w.advance(REGISTRATION_RETRY_SECONDS + 1);
    expect(((await failure(register(cheap(w)))) as ConflictError).extensions).toEqual({});
  });
});

describe('password hashes made at an earlier cost', () => {
  const login = (deps: IdentityDeps, password = PASSWORD) =>
    authenticate(ID_NUMBER, password, { sourceIp: '203.0.113.7', requestId: 'req-login' }, deps);

  it('are replaced at the current cost on the next successful login, and only then', async () => {
    const w = await identityWorld();
    const metrics: string[] = [];
    await register(cheap(w));
    const before = (await w.store.accountByIdentifier(ID_NUMBER))!.passwordHash;
    expect(before.startsWith('scrypt$1024$')).toBe(true);
    const current = { N: 2 ** 11, r: 8, p: 1 };
    const deps = cheap(w, {
      passwordCost: current,
      hashPassword: (password) => hashPassword(password, current),
      countMetric: (name) => metrics.push(name),
    });
    await expect(login(deps, 'Wrong-Password-1')).rejects.toBeInstanceOf(LoginFailedError);
    expect((await w.store.accountByIdentifier(ID_NUMBER))!.passwordHash).toBe(before);

    await login(deps);
    const after = (await w.store.accountByIdentifier(ID_NUMBER))!;
    expect(after.passwordHash.startsWith('scrypt$2048$8$1$')).toBe(true);
    expect((await w.store.account(after.accountId))!.passwordHash).toBe(after.passwordHash);
    expect(await verifyPassword(PASSWORD, after.passwordHash)).toBe(true);
    expect(metrics).toEqual(['passwordRehashed']);
    await login(deps);
    expect(metrics).toEqual(['passwordRehashed']); // already at the current cost
  });

  it('upgrades an N=2^15 hash to the production cost, N=2^17', { timeout: SLOW }, async () => {
    const w = await identityWorld();
    await register(cheap(w, { hashPassword: (password) => hashPassword(password, { N: 2 ** 15, r: 8, p: 1 }) }));
    await login(w.deps);
    const { passwordHash } = (await w.store.accountByIdentifier(ID_NUMBER))!;
    expect(passwordHash.startsWith(`scrypt$${SCRYPT_COST.N}$8$1$`)).toBe(true);
  });

  it('keeps the login when the upgrade cannot be written (the next login tries again)', async () => {
    const w = await identityWorld();
    await register(cheap(w));
    const deps = cheap(w, {
      passwordCost: { N: 2 ** 11, r: 8, p: 1 },
      accounts: new Proxy(w.store, {
        get(target, property, receiver) {
          if (property === 'replacePasswordHash') {
            return async () => Promise.reject(new DependencyUnavailableError('dynamodb'));
          }
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
    });
    await expect(login(deps)).resolves.toMatchObject({ identifier: ID_NUMBER });
  });
});
