import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type {
  Account,
  AuthorizationCode,
  Client,
  CodeAnswer,
  RefreshSuccessor,
  RefreshToken,
  SsoSession,
  TokenFamily,
} from '../../../functions/identity/model.ts';
import type { IdentityStore, LockoutPolicy } from '../../../functions/identity/ports.ts';

/**
 * The behaviour the identity use cases rely on, port by port. The same cases run against the
 * in-memory fake (test/unit/identity) and the DynamoDB adapter (test/integration/identity), so a
 * domain test on the fake checks what production does.
 *
 * `makeStore` gives each test a store of its own, with nothing in it.
 */
export function identityStoreContract(name: string, makeStore: () => Promise<IdentityStore>): void {
  describe(`${name} keeps the identity store contract`, () => {
    let store: IdentityStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    describe('AccountStore', () => {
      it('finds a created account by its identifier and by its id', async () => {
        const created = account();
        expect(await store.createAccount(created)).toBe('created');
        expect(await store.accountByIdentifier(created.identifier)).toMatchObject(created);
        expect(await store.account(created.accountId)).toMatchObject(created);
      });

      it('answers undefined for an unknown identifier or id', async () => {
        expect(await store.accountByIdentifier('NO-SUCH-IDENTIFIER')).toBeUndefined();
        expect(await store.account('acc-unknown')).toBeUndefined();
      });

      // A caller can send any username; one longer than a DynamoDB key can hold names no account.
      it('answers undefined for an identifier longer than any stored key', async () => {
        expect(await store.accountByIdentifier('X'.repeat(3000))).toBeUndefined();
        expect(await store.accountByIdentifier('证'.repeat(700))).toBeUndefined();
      });

      it("answers 'exists' for a taken identifier and keeps the first account", async () => {
        const first = account();
        await store.createAccount(first);
        const second = account({ identifier: first.identifier, name: 'second' });
        expect(await store.createAccount(second)).toBe('exists');
        const kept = await store.accountByIdentifier(first.identifier);
        expect(kept).toMatchObject({ accountId: first.accountId, name: first.name });
        expect(await store.account(second.accountId)).toBeUndefined();
      });

      it("answers 'exists' for a taken account id and writes nothing under the new identifier", async () => {
        const first = account();
        await store.createAccount(first);
        const second = account({ accountId: first.accountId });
        expect(await store.createAccount(second)).toBe('exists');
        expect(await store.accountByIdentifier(second.identifier)).toBeUndefined();
        expect(await store.account(first.accountId)).toMatchObject({ identifier: first.identifier });
      });

      it("replaces the password hash on both records while it is the one seen, else answers 'changed'", async () => {
        const created = account();
        await store.createAccount(created);
        expect(await store.replacePasswordHash(created, 'scrypt$new')).toBe('replaced');
        expect((await store.accountByIdentifier(created.identifier))!.passwordHash).toBe('scrypt$new');
        expect((await store.account(created.accountId))!.passwordHash).toBe('scrypt$new');
        // A second upgrade from the old hash (a parallel login) finds it changed and writes nothing.
        expect(await store.replacePasswordHash(created, 'scrypt$other')).toBe('changed');
        expect((await store.account(created.accountId))!.passwordHash).toBe('scrypt$new');
        expect(await store.replacePasswordHash(account(), 'scrypt$x')).toBe('changed');
      });

      it('deletes both records of an account, and nothing of another account under the same identifier', async () => {
        const created = account();
        await store.createAccount(created);
        await store.deleteAccount({ ...created, accountId: `acc-${randomUUID()}` });
        expect(await store.accountByIdentifier(created.identifier)).toMatchObject({ accountId: created.accountId });
        await store.deleteAccount(created);
        expect(await store.accountByIdentifier(created.identifier)).toBeUndefined();
        expect(await store.account(created.accountId)).toBeUndefined();
        await store.deleteAccount(created); // gone already: nothing to do
      });

      it('hands out copies: changing an answer changes nothing stored', async () => {
        const created = account();
        await store.createAccount(created);
        const found = (await store.account(created.accountId))!;
        found.name = 'changed';
        expect((await store.account(created.accountId))!.name).toBe(created.name);
      });
    });

    describe('ClientStore', () => {
      it("stores a new client once: 'created', then 'exists' with the first one kept", async () => {
        const first = client();
        expect(await store.putClient(first)).toBe('created');
        expect(await store.putClient({ ...first, scopes: ['other'] })).toBe('exists');
        expect(await store.client(first.clientId)).toMatchObject(first);
      });

      it('answers undefined for an unknown client', async () => {
        expect(await store.client('no-such-client')).toBeUndefined();
      });

      it('answers undefined for a client id longer than any stored key', async () => {
        expect(await store.client('c'.repeat(3000))).toBeUndefined();
      });
    });

    describe('LoginAttemptStore', () => {
      const policy: LockoutPolicy = { windowSeconds: WINDOW, lockAfter: 5, lockSeconds: 600 };
      const attempt = (key: string, at: number) => store.startAttempt(key, at, policy);
      const attempts = (key: string, at: number, times = 1) => repeat(times, () => attempt(key, at));
      const admitted = (counts: number[]) => counts.map((count) => ({ admitted: true, count }));

      it('knows no lock for a key without attempts', async () => {
        expect(await store.lockedUntil('someone')).toBeUndefined();
      });

      it('admits 5 attempts within one window, counting them, and refuses the 6th without counting it', async () => {
        expect(await attempts('someone', T0 + 10, 5)).toEqual(admitted([1, 2, 3, 4, 5]));
        expect(await attempts('someone', T0 + 20, 3)).toEqual([
          { admitted: false },
          { admitted: false },
          { admitted: false },
        ]);
        expect(await store.lockedUntil('someone')).toBeUndefined();
      });

      // The heart of the lockout: counting and the limit are one atomic write.
      it('admits exactly 5 of 40 parallel attempts, as the 1st to 5th', async () => {
        const answers = await Promise.all(Array.from({ length: 40 }, () => attempt('someone', T0 + 10)));
        const passed = answers.filter((answer) => answer.admitted);
        expect(passed).toHaveLength(5);
        expect(passed.map((answer) => (answer.admitted ? answer.count : 0)).sort()).toEqual([1, 2, 3, 4, 5]);
      });

      it('admits exactly the attempts left of 5 when parallel attempts open a new window', async () => {
        await attempts('someone', T0 + WINDOW - 1, 3);
        const answers = await Promise.all(Array.from({ length: 20 }, () => attempt('someone', T0 + WINDOW + 5)));
        expect(answers.filter((answer) => answer.admitted)).toHaveLength(2);
      });

      it('counts the attempts of the previous window too, even nearly two window lengths apart', async () => {
        await attempts('someone', T0, 4);
        const nearlyTwoWindowsLater = T0 + 2 * WINDOW - 1;
        expect(await attempt('someone', nearlyTwoWindowsLater)).toEqual({ admitted: true, count: 5 });
        expect(await attempt('someone', nearlyTwoWindowsLater)).toEqual({ admitted: false });
      });

      it('forgets attempts two windows old', async () => {
        await attempts('someone', T0 + WINDOW - 1, 5);
        expect(await attempt('someone', T0 + 2 * WINDOW)).toEqual({ admitted: true, count: 1 });
      });

      it('locks until lockSeconds later, refusing every attempt meanwhile, and starts the count over', async () => {
        await attempts('someone', T0, 5);
        expect(await store.lock('someone', T0 + 20, policy)).toEqual({ lockedUntil: T0 + 620 });
        expect(await store.lockedUntil('someone')).toBe(T0 + 620);
        expect(await attempt('someone', T0 + 619)).toEqual({ admitted: false, lockedUntil: T0 + 620 });
        // A running lock is not extended by a second locking, nor by attempts.
        expect(await store.lock('someone', T0 + 300, policy)).toEqual({ lockedUntil: T0 + 620 });
        expect(await attempts('someone', T0 + 620, 5)).toEqual(admitted([1, 2, 3, 4, 5]));
      });

      it('refuses all of 20 parallel attempts while locked', async () => {
        await store.lock('someone', T0, policy);
        const answers = await Promise.all(Array.from({ length: 20 }, () => attempt('someone', T0 + 1)));
        expect(answers.every((answer) => !answer.admitted)).toBe(true);
      });

      it('clears the attempts of the current and the previous window, but not a lock', async () => {
        await attempts('someone', T0 + WINDOW - 1, 2);
        await attempts('someone', T0 + WINDOW, 2);
        expect(await store.clearFailures('someone', T0 + WINDOW + 1, WINDOW)).toEqual({});
        expect(await attempts('someone', T0 + WINDOW + 2, 5)).toEqual(admitted([1, 2, 3, 4, 5]));

        await attempts('locked', T0, 5);
        await store.lock('locked', T0, policy);
        expect(await store.clearFailures('locked', T0 + 1, WINDOW)).toEqual({ lockedUntil: T0 + 600 });
        expect(await store.lockedUntil('locked')).toBe(T0 + 600);
        expect(await store.clearFailures('never-seen', T0, WINDOW)).toEqual({});
      });

      it('counts each key on its own', async () => {
        await attempts('one', T0, 5);
        expect(await attempt('other', T0)).toEqual({ admitted: true, count: 1 });
      });
    });

    describe('RateCounter', () => {
      it('counts hits per key in fixed windows', async () => {
        expect(await repeat(3, () => store.hit('login#203.0.113.7', T0 + 5, 60))).toEqual([1, 2, 3]);
        expect(await store.hit('login#198.51.100.9', T0 + 5, 60)).toBe(1);
        expect(await store.hit('login#203.0.113.7', T0 + 59, 60)).toBe(4);
        expect(await store.hit('login#203.0.113.7', T0 + 60, 60)).toBe(1);
      });
    });

    describe('SessionStore', () => {
      it('keeps a session, appends families in order, and forgets it when deleted', async () => {
        const created = session();
        await store.putSession(created);
        expect(await store.session(created.sessionHash)).toMatchObject(created);
        expect(await store.addFamilyToSession(created.sessionHash, 'family-1')).toBe('added');
        expect(await store.addFamilyToSession(created.sessionHash, 'family-2')).toBe('added');
        expect((await store.session(created.sessionHash))!.families).toEqual(['family-1', 'family-2']);
        expect(await store.deleteSession(created.sessionHash)).toMatchObject({
          ...created,
          families: ['family-1', 'family-2'],
        });
        expect(await store.session(created.sessionHash)).toBeUndefined();
      });

      it('links a family once, however often it is added (a retried exchange)', async () => {
        const created = session();
        await store.putSession(created);
        expect(await store.addFamilyToSession(created.sessionHash, 'family-1')).toBe('added');
        expect(await store.addFamilyToSession(created.sessionHash, 'family-1')).toBe('added');
        expect((await store.session(created.sessionHash))!.families).toEqual(['family-1']);
      });

      it("answers 'ended' for a family added to a deleted or unknown session, and links nothing", async () => {
        const created = session();
        await store.putSession(created);
        await store.deleteSession(created.sessionHash);
        expect(await store.addFamilyToSession(created.sessionHash, 'family-1')).toBe('ended');
        expect(await store.session(created.sessionHash)).toBeUndefined();
        expect(await store.addFamilyToSession('no-such-session', 'family-1')).toBe('ended');
        expect(await store.deleteSession('no-such-session')).toBeUndefined();
      });

      // Logout racing code exchanges: every family linked is in what the delete answers, or was refused.
      it('every family linked while a deletion races is in the session the deletion answers', async () => {
        const created = session();
        await store.putSession(created);
        const links = Array.from({ length: 10 }, (_, i) =>
          store.addFamilyToSession(created.sessionHash, `family-${i}`),
        );
        const [deleted, ...answers] = await Promise.all([store.deleteSession(created.sessionHash), ...links]);
        const linked = answers.flatMap((answer, i) => (answer === 'added' ? [`family-${i}`] : []));
        for (const familyId of linked) expect(deleted!.families).toContain(familyId);
      });
    });

    describe('CodeStore', () => {
      it('consumes a code once; later it answers replayed, with the tokens the code produced', async () => {
        const issued = code();
        await store.putCode(issued);
        const usedCode = expect.objectContaining({ ...issued, used: true });
        expect(await store.consumeCode(issued.codeHash)).toEqual({ code: usedCode, replayed: false });
        await store.linkCodeTokens(issued.codeHash, 'family-1', 'jti-1');
        const again = await store.consumeCode(issued.codeHash);
        expect(again).toEqual({ code: usedCode, replayed: true });
        expect(again!.code).toMatchObject({ familyId: 'family-1', accessJti: 'jti-1' });
      });

      it('answers undefined for an unknown code', async () => {
        expect(await store.consumeCode('no-such-code')).toBeUndefined();
        expect(await store.code('no-such-code')).toBeUndefined();
      });

      it('reads a code as stored, used or not', async () => {
        const issued = code();
        await store.putCode(issued);
        expect(await store.code(issued.codeHash)).toMatchObject({ ...issued, used: false });
        await store.consumeCode(issued.codeHash);
        expect(await store.code(issued.codeHash)).toMatchObject({ ...issued, used: true });
      });

      it('stores the answer, its family and access token id with the consumption; a replay neither writes another nor loses it', async () => {
        const issued = code();
        await store.putCode(issued);
        const first = codeAnswer();
        expect(await store.consumeCode(issued.codeHash, first)).toEqual({
          code: expect.objectContaining({
            used: true,
            answer: first,
            familyId: first.familyId,
            accessJti: first.accessJti,
          }),
          replayed: false,
        });
        const again = await store.consumeCode(issued.codeHash, codeAnswer());
        expect(again).toEqual({ code: expect.objectContaining({ answer: first }), replayed: true });
        expect(await store.code(issued.codeHash)).toMatchObject({ answer: first, familyId: first.familyId });
      });

      it("lets exactly one of 20 parallel consumptions of a code win, and every loser sees the winner's answer", async () => {
        const issued = code();
        await store.putCode(issued);
        const offered = Array.from({ length: 20 }, () => codeAnswer());
        const answers = await Promise.all(offered.map((answer) => store.consumeCode(issued.codeHash, answer)));
        const winners = answers.filter((answer) => !answer!.replayed);
        expect(winners).toHaveLength(1);
        for (const answer of answers) expect(answer!.code.answer).toEqual(winners[0]!.code.answer);
      });
    });

    describe('RefreshTokenStore', () => {
      it('consumes a refresh token once; later it answers reused, and the token shows as used', async () => {
        const token = refreshToken();
        expect(await store.putRefresh(token)).toBe('created');
        expect(await store.refresh(token.tokenHash)).toMatchObject(token);
        const usedToken = expect.objectContaining({ ...token, used: true });
        expect(await store.consumeRefresh(token.tokenHash)).toEqual({ token: usedToken, reused: false });
        expect(await store.consumeRefresh(token.tokenHash)).toEqual({ token: usedToken, reused: true });
        expect(await store.refresh(token.tokenHash)).toMatchObject({ used: true });
      });

      it("stores a token hash once: 'exists' leaves the stored token (used or not) as it was", async () => {
        const token = refreshToken();
        await store.putRefresh(token);
        await store.consumeRefresh(token.tokenHash);
        expect(await store.putRefresh(token)).toBe('exists');
        expect(await store.refresh(token.tokenHash)).toMatchObject({ used: true });
      });

      it('stores the successor with the consumption, and a reuse neither writes another nor loses it', async () => {
        const token = refreshToken();
        await store.putRefresh(token);
        const first = successor();
        expect(await store.consumeRefresh(token.tokenHash, first)).toEqual({
          token: expect.objectContaining({ used: true, successor: first }),
          reused: false,
        });
        expect(await store.consumeRefresh(token.tokenHash, successor())).toEqual({
          token: expect.objectContaining({ used: true, successor: first }),
          reused: true,
        });
      });

      it("lets exactly one of 20 parallel consumptions win, and every loser sees the winner's successor", async () => {
        const token = refreshToken();
        await store.putRefresh(token);
        const offered = Array.from({ length: 20 }, () => successor());
        const answers = await Promise.all(offered.map((next) => store.consumeRefresh(token.tokenHash, next)));
        const winners = answers.filter((answer) => !answer!.reused);
        expect(winners).toHaveLength(1);
        const kept = winners[0]!.token.successor;
        expect(offered).toContainEqual(kept);
        for (const answer of answers) expect(answer!.token.successor).toEqual(kept);
      });

      it('answers undefined for an unknown refresh token', async () => {
        expect(await store.refresh('no-such-token')).toBeUndefined();
        expect(await store.consumeRefresh('no-such-token')).toBeUndefined();
      });
    });

    describe('TokenFamilyStore', () => {
      it('appends access tokens to a family, and revoking returns the revoked family', async () => {
        const family = tokenFamily();
        await store.putFamily(family);
        expect(await store.addAccessToFamily(family.familyId, 'jti-2', T0 + 900)).toBe('added');
        const accessJtis = [...family.accessJtis, { jti: 'jti-2', exp: T0 + 900 }];
        expect(await store.family(family.familyId)).toMatchObject({ ...family, accessJtis });
        expect(await store.revokeFamily(family.familyId)).toMatchObject({ ...family, accessJtis, revoked: true });
        expect(await store.family(family.familyId)).toMatchObject({ revoked: true });
      });

      it("stores a family once: 'exists' leaves it as it was, a revoked family revoked", async () => {
        const family = tokenFamily();
        expect(await store.putFamily(family)).toBe('created');
        await store.revokeFamily(family.familyId);
        expect(await store.putFamily(family)).toBe('exists');
        expect(await store.family(family.familyId)).toMatchObject({ revoked: true });
      });

      it('answers undefined for an unknown family, and refuses to add a token to one', async () => {
        expect(await store.family('no-such-family')).toBeUndefined();
        expect(await store.revokeFamily('no-such-family')).toBeUndefined();
        expect(await store.addAccessToFamily('no-such-family', 'jti', T0 + 900)).toBe('refused');
        expect(await store.family('no-such-family')).toBeUndefined();
      });

      it('refuses to add a token to a revoked family, and leaves it as it was', async () => {
        const family = tokenFamily();
        await store.putFamily(family);
        await store.revokeFamily(family.familyId);
        expect(await store.addAccessToFamily(family.familyId, 'jti-late', T0 + 900)).toBe('refused');
        expect((await store.family(family.familyId))!.accessJtis).toEqual(family.accessJtis);
      });

      // Appends racing a revocation: each one either comes before it (and the revocation returns it,
      // to be denied) or after it (and is refused). None can slip into a revoked family unseen.
      it('every token added while a revocation races is in the family the revocation returns', async () => {
        const family = tokenFamily();
        await store.putFamily(family);
        const appends = Array.from({ length: 10 }, (_, i) => store.addAccessToFamily(family.familyId, `jti-${i}`, T0));
        const [revoked, ...answers] = await Promise.all([store.revokeFamily(family.familyId), ...appends]);
        const added = answers.flatMap((answer, i) => (answer === 'added' ? [`jti-${i}`] : []));
        const seen = revoked!.accessJtis.map((access) => access.jti);
        for (const jti of added) expect(seen).toContain(jti);
      });
    });

    describe('DenyList', () => {
      it('denies exactly the token ids it was given', async () => {
        await store.deny('jti-denied', T0 + 900);
        expect(await store.isDenied('jti-denied')).toBe(true);
        expect(await store.isDenied('jti-other')).toBe(false);
      });
    });
  });
}

/** Login windows of 15 minutes, as the login use case counts them. */
const WINDOW = 900;
/** The start of a window a day ahead: clear of any table's TTL, and aligned so tests can aim at window edges. */
const T0 = (Math.floor(Date.now() / 1000 / WINDOW) + 96) * WINDOW;

const repeat = async <T>(times: number, run: () => Promise<T>): Promise<T[]> => {
  const answers: T[] = [];
  for (let i = 0; i < times; i += 1) answers.push(await run());
  return answers;
};

const account = (overrides: Partial<Account> = {}): Account => ({
  accountId: `acc-${randomUUID()}`,
  type: 'citizen',
  identifier: `ID-${randomUUID()}`,
  name: '张三',
  phone: '13812345678',
  passwordHash: 'scrypt$32768$8$1$salt$hash',
  createdAt: new Date(T0 * 1000).toISOString(),
  ...overrides,
});

const client = (): Client => ({
  clientId: `client-${randomUUID()}`,
  kind: 'public',
  scopes: ['openid', 'profile'],
  redirectUris: ['https://portal.example.gov.cn/callback'],
  createdAt: new Date(T0 * 1000).toISOString(),
});

const session = (): SsoSession => ({
  sessionHash: `session-${randomUUID()}`,
  accountId: 'acc-1',
  authTime: T0,
  expiresAt: T0 + 8 * 3600,
  families: [],
});

const code = (): AuthorizationCode => ({
  codeHash: `code-${randomUUID()}`,
  clientId: 'portal',
  redirectUri: 'https://portal.example.gov.cn/callback',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  scope: 'openid profile',
  accountId: 'acc-1',
  authTime: T0,
  nonce: 'nonce-1',
  sessionHash: 'session-1',
  expiresAt: T0 + 60,
  used: false,
});

const refreshToken = (): RefreshToken => ({
  tokenHash: `refresh-${randomUUID()}`,
  familyId: 'family-1',
  clientId: 'portal',
  sub: 'acc-1',
  scope: 'openid profile',
  expiresAt: T0 + 30 * 24 * 3600,
  used: false,
});

const successor = (): RefreshSuccessor => ({
  at: T0,
  scope: 'openid',
  refreshHash: `refresh-${randomUUID()}`,
  accessJti: randomUUID(),
  accessExp: T0 + 900,
  sealed: randomUUID(),
});

const codeAnswer = (): CodeAnswer => ({
  at: T0,
  familyId: `family-${randomUUID()}`,
  accessJti: randomUUID(),
  accessExp: T0 + 900,
  refreshHash: `hash-${randomUUID()}`,
  sealed: randomUUID(),
});

const tokenFamily = (): TokenFamily => ({
  familyId: `family-${randomUUID()}`,
  clientId: 'portal',
  sub: 'acc-1',
  revoked: false,
  accessJtis: [{ jti: 'jti-1', exp: T0 + 900 }],
  expiresAt: T0 + 30 * 24 * 3600,
});
