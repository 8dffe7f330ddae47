import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuthorizationCode, TokenFamily } from '../../../functions/identity/model.ts';
import {
  CODE_KEPT_AFTER_EXPIRY_SECONDS,
  FAMILY_KEPT_AFTER_EXPIRY_SECONDS,
  type IdentityStore,
} from '../../../functions/identity/ports.ts';

/** A store with a look at its items' TTL attribute and a sweep that deletes what TTL may delete. */
export interface TtlHarness {
  store: IdentityStore;
  /** The TTL attribute (`expiresAt` on the table) of the item with this pk. */
  timeToLive(pk: string): Promise<number | undefined>;
  /** Deletes every item whose TTL attribute is at or before `now`, as DynamoDB's TTL may at the earliest. */
  expireItems(now: number): Promise<void>;
}

const NOW = 1_767_225_600;

/**
 * Codes and token families must outlive their expiry (a replayed code is recognised and revokes what it
 * produced; a reused refresh token finds its family): the item's TTL is the purge time, and the store
 * still answers the record's own expiry. Run on the fake (unit) and on DynamoDB (integration).
 */
export function identityTtlContract(name: string, makeHarness: () => Promise<TtlHarness>): void {
  describe(`${name} keeps codes and families past their expiry`, () => {
    let harness: TtlHarness;
    beforeEach(async () => {
      harness = await makeHarness();
    });

    it('writes a code with the TTL attribute at its purge time and answers its own expiry', async () => {
      const stored = code();
      await harness.store.putCode(stored);
      expect(await harness.timeToLive(`code#${stored.codeHash}`)).toBe(
        stored.expiresAt + CODE_KEPT_AFTER_EXPIRY_SECONDS,
      );
      const consumed = await harness.store.consumeCode(stored.codeHash);
      expect(consumed).toMatchObject({ replayed: false, code: { expiresAt: stored.expiresAt } });
      expect(consumed!.code).not.toHaveProperty('validUntil');
    });

    it('recognises a replay after the code expired and TTL ran, within the replay window', async () => {
      const stored = code();
      await harness.store.putCode(stored);
      await harness.store.consumeCode(stored.codeHash);
      await harness.store.linkCodeTokens(stored.codeHash, 'family-1', 'jti-1');
      await harness.expireItems(stored.expiresAt + CODE_KEPT_AFTER_EXPIRY_SECONDS - 1);
      const replay = await harness.store.consumeCode(stored.codeHash);
      expect(replay).toMatchObject({
        replayed: true,
        code: { expiresAt: stored.expiresAt, familyId: 'family-1', accessJti: 'jti-1' },
      });
    });

    it('lets TTL delete the code once the replay window is over', async () => {
      const stored = code();
      await harness.store.putCode(stored);
      await harness.expireItems(stored.expiresAt + CODE_KEPT_AFTER_EXPIRY_SECONDS);
      expect(await harness.store.consumeCode(stored.codeHash)).toBeUndefined();
    });

    it('keeps a family past its end and answers its own expiry, from family and from revokeFamily', async () => {
      const stored = family();
      await harness.store.putFamily(stored);
      const pk = `family#${stored.familyId}`;
      expect(await harness.timeToLive(pk)).toBe(stored.expiresAt + FAMILY_KEPT_AFTER_EXPIRY_SECONDS);
      await harness.expireItems(stored.expiresAt + 3600);
      const kept = await harness.store.family(stored.familyId);
      expect(kept).toMatchObject(stored);
      expect(kept).not.toHaveProperty('validUntil');
      expect(await harness.store.revokeFamily(stored.familyId)).toMatchObject({
        revoked: true,
        expiresAt: stored.expiresAt,
      });
      await harness.expireItems(stored.expiresAt + FAMILY_KEPT_AFTER_EXPIRY_SECONDS);
      expect(await harness.store.family(stored.familyId)).toBeUndefined();
    });
  });
}

const code = (): AuthorizationCode => ({
  codeHash: `code-${randomUUID()}`,
  clientId: 'portal',
  redirectUri: 'https://portal.example/cb',
  codeChallenge: 'c'.repeat(43),
  scope: 'openid',
  accountId: 'acc-1',
  authTime: NOW,
  sessionHash: 'session-1',
  expiresAt: NOW + 60,
  used: false,
});

const family = (): TokenFamily => ({
  familyId: randomUUID(),
  clientId: 'portal',
  sub: 'acc-1',
  revoked: false,
  accessJtis: [{ jti: 'jti-1', exp: NOW + 900 }],
  expiresAt: NOW + 30 * 24 * 3600,
});
