import type {
  Account,
  AuthorizationCode,
  Client,
  CodeAnswer,
  RefreshSuccessor,
  RefreshToken,
  SsoSession,
  TokenFamily,
} from './model.ts';

/**
 * The data ports of the identity use cases, one per kind of record. store.ts implements them all
 * on DynamoDB; test/support/memory-identity-store.ts in memory, checked by the same contract tests.
 */

export interface AccountStore {
  /** 'exists' when the identifier or the account id is taken; then nothing is written. */
  createAccount(account: Account): Promise<'created' | 'exists'>;
  accountByIdentifier(identifier: string): Promise<Account | undefined>;
  account(accountId: string): Promise<Account | undefined>;
  /**
   * Replaces the account's password hash (both of its records) if it is still `account.passwordHash`,
   * in one conditional write: 'changed' (nothing written) when it is not, or the account is gone.
   */
  replacePasswordHash(account: Account, passwordHash: string): Promise<'replaced' | 'changed'>;
  /** Deletes both records of the account in one write if both still are this account, else nothing (a registration undone). */
  deleteAccount(account: Account): Promise<void>;
}

export interface ClientStore {
  client(clientId: string): Promise<Client | undefined>;
  /** 'exists' when the client id is taken; the stored client is then left as it was. */
  putClient(client: Client): Promise<'created' | 'exists'>;
}

export interface LockoutPolicy {
  windowSeconds: number;
  lockAfter: number;
  lockSeconds: number;
}

/** What `startAttempt` answers: admitted as the `count`-th attempt of the two windows, or refused. */
export type AttemptStart = { admitted: true; count: number } | { admitted: false; lockedUntil?: number };

/**
 * Login attempts per key, counted in fixed windows **before** the password is checked: an attempt
 * counts while it is in the current or the previous window, so every run of `lockAfter` attempts that
 * fits in one window length is seen. Counting first, in one atomic write, is what bounds the number
 * of password checks under any number of parallel requests: at most `lockAfter` are admitted.
 */
export interface LoginAttemptStore {
  /**
   * Counts an attempt, atomically: admitted when the key is not locked and fewer than `lockAfter`
   * attempts are counted in the two windows; otherwise refused, and nothing is counted.
   */
  startAttempt(key: string, now: number, policy: LockoutPolicy): Promise<AttemptStart>;
  /**
   * Locks the key until `now + lockSeconds` and starts the count over, in one write; a lock that
   * still runs is neither extended nor shortened. Answers when the lock ends.
   */
  lock(key: string, now: number, policy: LockoutPolicy): Promise<{ lockedUntil: number }>;
  /** When the key's lock ends (possibly in the past), if it was ever locked and the record lives. */
  lockedUntil(key: string): Promise<number | undefined>;
  /**
   * Forgets the counted attempts (after a successful login), unless the key is locked: then it
   * answers the lock and forgets nothing. A lock stays until it runs out.
   */
  clearFailures(key: string, now: number, windowSeconds: number): Promise<{ lockedUntil?: number }>;
}

export interface RateCounter {
  /** Counts a hit in a fixed window and returns the count so far. */
  hit(key: string, now: number, windowSeconds: number): Promise<number>;
}

export interface SessionStore {
  putSession(session: SsoSession): Promise<void>;
  session(sessionHash: string): Promise<SsoSession | undefined>;
  /**
   * Links a family to a live session, conditionally in one write: 'ended' (nothing written) when the
   * session was deleted (logout), so a family either is in the list logout revokes or is never linked.
   */
  addFamilyToSession(sessionHash: string, familyId: string): Promise<'added' | 'ended'>;
  /** Deletes the session and answers it as it was last (its families included); undefined when there was none. */
  deleteSession(sessionHash: string): Promise<SsoSession | undefined>;
}

/**
 * How long a record outlives its `expiresAt` before the table may delete it. The table's TTL attribute
 * is `expiresAt` (infra/replication.ts SINGLE_TABLE), so the adapters store the purge time there and the
 * record's own expiry, which the use cases check, in `validUntil`; they answer records with `expiresAt`
 * = that expiry. A used code is kept 10 minutes past its 60 s, so that a replay is recognised as one
 * and revokes what it produced.
 */
export const CODE_KEPT_AFTER_EXPIRY_SECONDS = 600;
/** A family is kept a day past its end: a refresh token reused just after it still finds and revokes it. */
export const FAMILY_KEPT_AFTER_EXPIRY_SECONDS = 24 * 3600;

export interface CodeStore {
  putCode(code: AuthorizationCode): Promise<void>;
  /** The code as stored (strongly consistent), used or not. */
  code(codeHash: string): Promise<AuthorizationCode | undefined>;
  /**
   * Marks the code used, storing the answer it produced (and its family and access token id) in the
   * same conditional write; 'replayed' (with the record as it was, answer included) when it was used before.
   */
  consumeCode(
    codeHash: string,
    answer?: CodeAnswer,
  ): Promise<{ code: AuthorizationCode; replayed: boolean } | undefined>;
  /**
   * Remembers the tokens a code produced, to revoke them if the code is replayed. Only for a stored
   * code: on DynamoDB an unknown code would get a stub record, which a later consumeCode reports.
   */
  linkCodeTokens(codeHash: string, familyId: string, accessJti: string): Promise<void>;
}

export interface RefreshTokenStore {
  /** 'exists' when a token with this hash is stored: it is then left as it was (never marked unused again). */
  putRefresh(token: RefreshToken): Promise<'created' | 'exists'>;
  refresh(tokenHash: string): Promise<RefreshToken | undefined>;
  /**
   * Marks the token used and stores what it was rotated into (for a retry within the grace), in one
   * conditional write; 'reused' (with the record as it was, successor included) when it was used before.
   */
  consumeRefresh(
    tokenHash: string,
    successor?: RefreshSuccessor,
  ): Promise<{ token: RefreshToken; reused: boolean } | undefined>;
}

export interface TokenFamilyStore {
  /** 'exists' when the family is stored: it is then left as it was (a retry never un-revokes it). */
  putFamily(family: TokenFamily): Promise<'created' | 'exists'>;
  family(familyId: string): Promise<TokenFamily | undefined>;
  /**
   * Appends an access token to a live family, conditionally in one write: 'refused' (nothing written)
   * when the family is revoked or unknown, so no token can join a family after its revocation.
   */
  addAccessToFamily(familyId: string, jti: string, exp: number): Promise<'added' | 'refused'>;
  /** Marks the family revoked and returns it; undefined for an unknown family. */
  revokeFamily(familyId: string): Promise<TokenFamily | undefined>;
}

/** Revoked access token ids, until the token would have expired anyway. */
export interface DenyList {
  deny(jti: string, exp: number): Promise<void>;
  isDenied(jti: string): Promise<boolean>;
}

/** Every port at once: what one adapter object (DynamoDB or in memory) implements. */
export type IdentityStore = AccountStore &
  ClientStore &
  LoginAttemptStore &
  RateCounter &
  SessionStore &
  CodeStore &
  RefreshTokenStore &
  TokenFamilyStore &
  DenyList;

/** The ports by name, as the use cases take them. */
export interface IdentityPorts {
  accounts: AccountStore;
  clients: ClientStore;
  loginAttempts: LoginAttemptStore;
  rateCounter: RateCounter;
  sessions: SessionStore;
  codes: CodeStore;
  refreshTokens: RefreshTokenStore;
  families: TokenFamilyStore;
  denyList: DenyList;
}

/** Names each port of a store that implements them all. */
export const identityPorts = (store: IdentityStore): IdentityPorts => ({
  accounts: store,
  clients: store,
  loginAttempts: store,
  rateCounter: store,
  sessions: store,
  codes: store,
  refreshTokens: store,
  families: store,
  denyList: store,
});
