import type {
  Account,
  AuthorizationCode,
  Client,
  CodeAnswer,
  RefreshSuccessor,
  RefreshToken,
  SsoSession,
  TokenFamily,
} from '../../functions/identity/model.ts';
import {
  type AttemptStart,
  CODE_KEPT_AFTER_EXPIRY_SECONDS,
  FAMILY_KEPT_AFTER_EXPIRY_SECONDS,
  type IdentityStore,
  type LockoutPolicy,
} from '../../functions/identity/ports.ts';

/**
 * Every identity port in memory, with the semantics of the DynamoDB adapter (functions/identity/store.ts),
 * which test/contract/identity/store-contract.ts checks against both. Records are copied in and out,
 * as a table would, so callers cannot change them in place. Nothing expires by itself: as with
 * DynamoDB's TTL, which deletes late, callers compare expiry times with their own clock.
 */
export class MemoryIdentityStore implements IdentityStore {
  private readonly accountsById = new Map<string, Account>();
  private readonly accountsByIdentifier = new Map<string, Account>();
  private readonly clients = new Map<string, Client>();
  /** Login attempts per key, as the adapter's `attempts#<key>` items: two fixed windows and the lock. */
  private readonly attempts = new Map<
    string,
    { window: number | undefined; current: number; previous: number; lockedUntil?: number }
  >();
  private readonly hits = new Map<string, number>();
  private readonly sessions = new Map<string, SsoSession>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly families = new Map<string, TokenFamily>();
  private readonly denied = new Map<string, number>();
  /** The TTL attribute of code and family items, by the adapter's pk (`code#…`, `family#…`): when they may go. */
  private readonly purgeTimes = new Map<string, number>();

  /** The TTL attribute (`expiresAt` on the table) of the item with this pk, as the adapter writes it. */
  timeToLive(pk: string): number | undefined {
    return this.purgeTimes.get(pk);
  }

  /** Deletes the code and family items whose TTL has passed, as DynamoDB's TTL may at the earliest. */
  expireItems(now: number): void {
    for (const [pk, purgeAt] of this.purgeTimes) {
      if (purgeAt > now) continue;
      const [kind, id] = [pk.slice(0, pk.indexOf('#')), pk.slice(pk.indexOf('#') + 1)];
      (kind === 'code' ? this.codes : this.families).delete(id);
      this.purgeTimes.delete(pk);
    }
  }

  async createAccount(account: Account): Promise<'created' | 'exists'> {
    if (this.accountsByIdentifier.has(account.identifier) || this.accountsById.has(account.accountId)) return 'exists';
    this.accountsByIdentifier.set(account.identifier, copy(account));
    this.accountsById.set(account.accountId, copy(account));
    return 'created';
  }

  async accountByIdentifier(identifier: string): Promise<Account | undefined> {
    return maybeCopy(this.accountsByIdentifier.get(identifier));
  }

  async account(accountId: string): Promise<Account | undefined> {
    return maybeCopy(this.accountsById.get(accountId));
  }

  async replacePasswordHash(account: Account, passwordHash: string): Promise<'replaced' | 'changed'> {
    const byId = this.accountsById.get(account.accountId);
    const byIdentifier = this.accountsByIdentifier.get(account.identifier);
    if (byId?.passwordHash !== account.passwordHash || byIdentifier?.passwordHash !== account.passwordHash) {
      return 'changed';
    }
    byId.passwordHash = passwordHash;
    byIdentifier.passwordHash = passwordHash;
    return 'replaced';
  }

  async deleteAccount(account: Account): Promise<void> {
    const byId = this.accountsById.get(account.accountId);
    const byIdentifier = this.accountsByIdentifier.get(account.identifier);
    if (byId?.identifier !== account.identifier || byIdentifier?.accountId !== account.accountId) return;
    this.accountsById.delete(account.accountId);
    this.accountsByIdentifier.delete(account.identifier);
  }

  async client(clientId: string): Promise<Client | undefined> {
    return maybeCopy(this.clients.get(clientId));
  }

  async putClient(client: Client): Promise<'created' | 'exists'> {
    if (this.clients.has(client.clientId)) return 'exists';
    this.clients.set(client.clientId, copy(client));
    return 'created';
  }

  async startAttempt(key: string, now: number, policy: LockoutPolicy): Promise<AttemptStart> {
    const item = this.attempts.get(key) ?? { window: undefined, current: 0, previous: 0 };
    if (item.lockedUntil !== undefined && item.lockedUntil > now)
      return { admitted: false, lockedUntil: item.lockedUntil };
    const window = windowOf(now, policy.windowSeconds);
    if (item.window !== window) {
      item.previous = item.window === window - 1 ? item.current : 0;
      item.current = 0;
      item.window = window;
    }
    if (item.current + item.previous >= policy.lockAfter) return { admitted: false };
    item.current += 1;
    this.attempts.set(key, item);
    return { admitted: true, count: item.current + item.previous };
  }

  async lock(key: string, now: number, policy: LockoutPolicy): Promise<{ lockedUntil: number }> {
    const item = this.attempts.get(key) ?? { window: undefined, current: 0, previous: 0 };
    if (item.lockedUntil !== undefined && item.lockedUntil > now) return { lockedUntil: item.lockedUntil };
    this.attempts.set(key, { ...item, current: 0, previous: 0, lockedUntil: now + policy.lockSeconds });
    return { lockedUntil: now + policy.lockSeconds };
  }

  async lockedUntil(key: string): Promise<number | undefined> {
    return this.attempts.get(key)?.lockedUntil;
  }

  async clearFailures(key: string, now: number): Promise<{ lockedUntil?: number }> {
    const item = this.attempts.get(key);
    if (!item) return {};
    if (item.lockedUntil !== undefined && item.lockedUntil > now) return { lockedUntil: item.lockedUntil };
    item.current = 0;
    item.previous = 0;
    return {};
  }

  async hit(key: string, now: number, windowSeconds: number): Promise<number> {
    const bucket = `${key}#${windowOf(now, windowSeconds)}`;
    const count = (this.hits.get(bucket) ?? 0) + 1;
    this.hits.set(bucket, count);
    return count;
  }

  async putSession(session: SsoSession): Promise<void> {
    this.sessions.set(session.sessionHash, copy(session));
  }

  async session(sessionHash: string): Promise<SsoSession | undefined> {
    return maybeCopy(this.sessions.get(sessionHash));
  }

  async addFamilyToSession(sessionHash: string, familyId: string): Promise<'added' | 'ended'> {
    const session = this.sessions.get(sessionHash);
    if (!session) return 'ended'; // the session ended meanwhile: nothing to link
    if (!session.families.includes(familyId)) session.families.push(familyId);
    return 'added';
  }

  async deleteSession(sessionHash: string): Promise<SsoSession | undefined> {
    const session = this.sessions.get(sessionHash);
    this.sessions.delete(sessionHash);
    return maybeCopy(session);
  }

  async putCode(code: AuthorizationCode): Promise<void> {
    this.codes.set(code.codeHash, copy(code));
    this.purgeTimes.set(`code#${code.codeHash}`, code.expiresAt + CODE_KEPT_AFTER_EXPIRY_SECONDS);
  }

  async code(codeHash: string): Promise<AuthorizationCode | undefined> {
    return maybeCopy(this.codes.get(codeHash));
  }

  async consumeCode(
    codeHash: string,
    answer?: CodeAnswer,
  ): Promise<{ code: AuthorizationCode; replayed: boolean } | undefined> {
    const code = this.codes.get(codeHash);
    if (!code) return undefined;
    if (code.used) return { code: copy(code), replayed: true };
    code.used = true;
    if (answer) Object.assign(code, { answer: copy(answer), familyId: answer.familyId, accessJti: answer.accessJti });
    return { code: copy(code), replayed: false };
  }

  async linkCodeTokens(codeHash: string, familyId: string, accessJti: string): Promise<void> {
    const code = this.codes.get(codeHash);
    if (!code) return;
    code.familyId = familyId;
    code.accessJti = accessJti;
  }

  async putRefresh(token: RefreshToken): Promise<'created' | 'exists'> {
    if (this.refreshTokens.has(token.tokenHash)) return 'exists';
    this.refreshTokens.set(token.tokenHash, copy(token));
    return 'created';
  }

  async consumeRefresh(
    tokenHash: string,
    successor?: RefreshSuccessor,
  ): Promise<{ token: RefreshToken; reused: boolean } | undefined> {
    const token = this.refreshTokens.get(tokenHash);
    if (!token) return undefined;
    if (token.used) return { token: copy(token), reused: true };
    token.used = true;
    if (successor) token.successor = copy(successor);
    return { token: copy(token), reused: false };
  }

  async refresh(tokenHash: string): Promise<RefreshToken | undefined> {
    return maybeCopy(this.refreshTokens.get(tokenHash));
  }

  async putFamily(family: TokenFamily): Promise<'created' | 'exists'> {
    if (this.families.has(family.familyId)) return 'exists';
    this.families.set(family.familyId, copy(family));
    this.purgeTimes.set(`family#${family.familyId}`, family.expiresAt + FAMILY_KEPT_AFTER_EXPIRY_SECONDS);
    return 'created';
  }

  async family(familyId: string): Promise<TokenFamily | undefined> {
    return maybeCopy(this.families.get(familyId));
  }

  async addAccessToFamily(familyId: string, jti: string, exp: number): Promise<'added' | 'refused'> {
    const family = this.families.get(familyId);
    if (!family || family.revoked) return 'refused';
    family.accessJtis.push({ jti, exp });
    return 'added';
  }

  async revokeFamily(familyId: string): Promise<TokenFamily | undefined> {
    const family = this.families.get(familyId);
    if (!family) return undefined;
    family.revoked = true;
    return copy(family);
  }

  async deny(jti: string, exp: number): Promise<void> {
    this.denied.set(jti, exp);
  }

  async isDenied(jti: string): Promise<boolean> {
    return this.denied.has(jti);
  }
}

const windowOf = (now: number, seconds: number) => Math.floor(now / seconds);
const copy = <T>(value: T): T => structuredClone(value);
const maybeCopy = <T>(value: T | undefined): T | undefined => (value === undefined ? undefined : copy(value));
