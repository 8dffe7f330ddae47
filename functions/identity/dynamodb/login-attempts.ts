import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { LoginAttemptStore } from '../ports.ts';
import { guard, windowOf, type IdentityTable } from './table.ts';

/**
 * Failures are counted atomically per fixed window (`failures#<key>#<window>`); the current and the
 * previous window together see every run of failures that fits in one window length. The lock is
 * an item of its own (`lock#<key>`) that expires when the lock ends.
 */
export function dynamoLoginAttemptStore(table: IdentityTable): LoginAttemptStore {
  const failuresKey = (key: string, window: number) => ({ pk: `failures#${key}#${window}`, sk: 'login' });

  const clearFailures = async (key: string, now: number, windowSeconds: number) => {
    const current = windowOf(now, windowSeconds);
    for (const window of [current, current - 1]) {
      const forget = new DeleteCommand({ TableName: table.name, Key: failuresKey(key, window) });
      await guard(() => table.documents.send(forget));
    }
  };

  return {
    lockedUntil: async (key) => (await table.get<{ lockedUntil: number }>(`lock#${key}`, 'login', true))?.lockedUntil,
    async recordFailure(key, now, { windowSeconds, lockAfter, lockSeconds }) {
      const current = windowOf(now, windowSeconds);
      const { pk, sk } = failuresKey(key, current);
      const counted = await table.increment(pk, sk, now, windowSeconds);
      const previous = await table.get<{ count: number }>(failuresKey(key, current - 1).pk, 'login', true);
      if (counted + Number(previous?.count ?? 0) < lockAfter) return {};
      const lockedUntil = now + lockSeconds;
      await table.put({ pk: `lock#${key}`, sk: 'login', lockedUntil, expiresAt: lockedUntil });
      await clearFailures(key, now, windowSeconds);
      return { lockedUntil };
    },
    clearFailures,
  };
}
