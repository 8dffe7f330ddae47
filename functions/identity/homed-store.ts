import { homeOf } from './home-region.ts';
import type { IdentityStore } from './ports.ts';

/** How long the other region's deny-list is not written after a write there failed (replication brings the entries). */
export const SKIP_UNREACHABLE_MS = 30_000;

export interface RegionalStores {
  /** The region serving this request: home of what it creates and of untagged handles. */
  here: string;
  /** Items of no single home (accounts, clients, counters, the deny-list read): the failover client's. */
  shared: IdentityStore;
  /**
   * Each region's table through a client of that region alone, never failing over: a consume sent
   * there is applied there or not at all. Must hold `here`; the other region where it is configured.
   */
  regions: Record<string, IdentityStore>;
}

/**
 * The identity store that sends each one-time or revocable item to its home region (home-region.ts):
 * sessions, codes and refresh tokens by the region tag of their key, families by that of their id.
 * Reading, consuming, appending to and revoking all happen in the home region's table, so one
 * conditional write decides, whichever region the request reached. A home that cannot be reached
 * is a 503 (DependencyUnavailableError from the adapter), never a local consume. A key homed in a
 * region this stage does not have names no item: it is answered as unknown.
 *
 * Denying an access token writes the deny-list of every region (the serving one first), so the token
 * is refused at once in both, not only after replication; a region that cannot be written gets the
 * entry by replication, and is not tried again for SKIP_UNREACHABLE_MS.
 */
export function homedIdentityStore({ here, shared, regions }: RegionalStores): IdentityStore {
  const local = regions[here];
  if (!local) throw new Error(`no store for the serving region ${here}`);
  const at = (key: string): IdentityStore | undefined => regions[homeOf(key) ?? here];
  const others = Object.entries(regions)
    .filter(([region]) => region !== here)
    .map(([, store]) => store);
  const skipUntil = new Map<IdentityStore, number>();
  return {
    createAccount: (account) => shared.createAccount(account),
    accountByIdentifier: (identifier) => shared.accountByIdentifier(identifier),
    account: (accountId) => shared.account(accountId),
    replacePasswordHash: (account, passwordHash) => shared.replacePasswordHash(account, passwordHash),
    deleteAccount: (account) => shared.deleteAccount(account),
    client: (clientId) => shared.client(clientId),
    putClient: (client) => shared.putClient(client),
    startAttempt: (key, now, policy) => shared.startAttempt(key, now, policy),
    lock: (key, now, policy) => shared.lock(key, now, policy),
    lockedUntil: (key) => shared.lockedUntil(key),
    clearFailures: (key, now, windowSeconds) => shared.clearFailures(key, now, windowSeconds),
    hit: (key, now, windowSeconds) => shared.hit(key, now, windowSeconds),

    putSession: (session) => homeFor(session.sessionHash).putSession(session),
    session: async (sessionHash) => at(sessionHash)?.session(sessionHash),
    addFamilyToSession: async (sessionHash, familyId) =>
      (await at(sessionHash)?.addFamilyToSession(sessionHash, familyId)) ?? 'ended',
    deleteSession: async (sessionHash) => at(sessionHash)?.deleteSession(sessionHash),

    putCode: (code) => homeFor(code.codeHash).putCode(code),
    code: async (codeHash) => at(codeHash)?.code(codeHash),
    consumeCode: async (codeHash, answer) => at(codeHash)?.consumeCode(codeHash, answer),
    linkCodeTokens: async (codeHash, familyId, accessJti) =>
      at(codeHash)?.linkCodeTokens(codeHash, familyId, accessJti),

    putRefresh: (token) => homeFor(token.tokenHash).putRefresh(token),
    refresh: async (tokenHash) => at(tokenHash)?.refresh(tokenHash),
    consumeRefresh: async (tokenHash, successor) => at(tokenHash)?.consumeRefresh(tokenHash, successor),

    putFamily: (family) => homeFor(family.familyId).putFamily(family),
    family: async (familyId) => at(familyId)?.family(familyId),
    addAccessToFamily: async (familyId, jti, exp) =>
      (await at(familyId)?.addAccessToFamily(familyId, jti, exp)) ?? 'refused',
    revokeFamily: async (familyId) => at(familyId)?.revokeFamily(familyId),

    async deny(jti, exp) {
      await local.deny(jti, exp);
      // A region that could not be written is skipped for a while: a family's revocation denies its
      // tokens one by one, and each must not wait for a lost region's timeouts again.
      const now = Date.now();
      const reachable = others.filter((store) => (skipUntil.get(store) ?? 0) <= now);
      await Promise.allSettled(
        reachable.map((store) =>
          store.deny(jti, exp).catch((error: unknown) => {
            skipUntil.set(store, Date.now() + SKIP_UNREACHABLE_MS);
            throw error;
          }),
        ),
      );
    },
    isDenied: (jti) => shared.isDenied(jti),
  };

  /** Where a new item goes: the use cases tag it with a home this stage has, or none (here). */
  function homeFor(key: string): IdentityStore {
    const store = at(key);
    if (!store) throw new Error(`no store for the home region ${homeOf(key)}`);
    return store;
  }
}
