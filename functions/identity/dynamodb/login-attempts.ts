import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttemptStart, LoginAttemptStore, LockoutPolicy } from '../ports.ts';
import { unlessConditionFails, windowOf, type IdentityTable } from './table.ts';

/** One item per key: the window counted in, its count, the previous window's, their sum, the lock. */
interface AttemptsItem {
  window?: number;
  current?: number;
  previous?: number;
  total?: number;
  lockedUntil?: number;
}

const NAMES = {
  '#window': 'window',
  '#current': 'current',
  '#previous': 'previous',
  '#total': 'total',
  '#lockedUntil': 'lockedUntil',
  '#expiresAt': 'expiresAt',
};
const NOT_LOCKED = '(attribute_not_exists(#lockedUntil) OR #lockedUntil <= :now)';
/** Optimistic rounds before an attempt is refused: only a window change makes one round fail. */
const ROUNDS = 8;

/**
 * Login attempts on one item per key (`attempts#<key>`), so that counting, the limit and the lock are
 * checked and written together by one conditional UpdateItem: under any number of parallel requests
 * at most `lockAfter` attempts are admitted. DynamoDB conditions cannot add two attributes, so the
 * item keeps `total` = current + previous window next to them. Which update applies depends on the
 * window the item last counted in; a write whose condition fails (the window moved on, the limit was
 * reached, a lock began) is read again and retried, and refused after ROUNDS rounds.
 */
export function dynamoLoginAttemptStore(table: IdentityTable): LoginAttemptStore {
  const key = (name: string) => ({ pk: `attempts#${name}`, sk: 'login' });
  const read = (name: string) => table.get<AttemptsItem>(key(name).pk, 'login', true);
  const update = (name: string, expression: string, condition: string, values: Record<string, unknown>) =>
    unlessConditionFails(
      async () => {
        const answer = await table.documents.send(
          new UpdateCommand({
            TableName: table.name,
            Key: key(name),
            UpdateExpression: expression,
            ConditionExpression: condition,
            ExpressionAttributeNames: Object.fromEntries(
              Object.entries(NAMES).filter(([alias]) => `${expression} ${condition}`.includes(alias)),
            ),
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return answer.Attributes as AttemptsItem;
      },
      () => undefined,
    );

  async function startAttempt(name: string, now: number, policy: LockoutPolicy): Promise<AttemptStart> {
    const window = windowOf(now, policy.windowSeconds);
    const expires = now + 2 * policy.windowSeconds;
    for (let round = 0; round < ROUNDS; round += 1) {
      const item = await read(name);
      if (item?.lockedUntil !== undefined && item.lockedUntil > now) {
        return { admitted: false, lockedUntil: item.lockedUntil };
      }
      const values = { ':now': now, ':one': 1, ':limit': policy.lockAfter, ':window': window, ':expires': expires };
      let counted: AttemptsItem | undefined;
      if (item?.window === window) {
        if (Number(item.total ?? 0) >= policy.lockAfter) return { admitted: false };
        counted = await update(
          name,
          'SET #current = #current + :one, #total = #total + :one, #expiresAt = :expires',
          `#window = :window AND #total < :limit AND ${NOT_LOCKED}`,
          values,
        );
      } else if (item?.window === window - 1) {
        if (Number(item.current ?? 0) >= policy.lockAfter) return { admitted: false };
        // Every right-hand side reads the item as it was: the old current window becomes the previous one.
        counted = await update(
          name,
          'SET #previous = #current, #current = :one, #total = #current + :one, #window = :window, #expiresAt = :expires',
          `#window = :last AND #current < :limit AND ${NOT_LOCKED}`,
          { ...values, ':last': window - 1 },
        );
      } else {
        counted = await update(
          name,
          'SET #previous = :zero, #current = :one, #total = :one, #window = :window, #expiresAt = :expires',
          `(attribute_not_exists(#window) OR #window < :last) AND ${NOT_LOCKED}`,
          { ':now': now, ':one': 1, ':zero': 0, ':window': window, ':last': window - 1, ':expires': expires },
        );
      }
      if (counted) return { admitted: true, count: Number(counted.total) };
    }
    return { admitted: false };
  }

  return {
    startAttempt,
    async lock(name, now, { windowSeconds, lockSeconds }) {
      const lockedUntil = now + lockSeconds;
      const locked = await update(
        name,
        'SET #lockedUntil = :until, #current = :zero, #previous = :zero, #total = :zero, #expiresAt = :expires',
        NOT_LOCKED,
        { ':now': now, ':until': lockedUntil, ':zero': 0, ':expires': Math.max(lockedUntil, now + 2 * windowSeconds) },
      );
      if (locked) return { lockedUntil };
      return { lockedUntil: Number((await read(name))?.lockedUntil ?? lockedUntil) };
    },
    lockedUntil: async (name) => {
      const until = (await read(name))?.lockedUntil;
      return until === undefined ? undefined : Number(until);
    },
    async clearFailures(name, now) {
      const cleared = await update(
        name,
        'SET #current = :zero, #previous = :zero, #total = :zero',
        `attribute_exists(pk) AND ${NOT_LOCKED}`,
        { ':now': now, ':zero': 0 },
      );
      if (cleared) return {};
      const until = (await read(name))?.lockedUntil;
      return until !== undefined && until > now ? { lockedUntil: Number(until) } : {};
    },
  };
}
