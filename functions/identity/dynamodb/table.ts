import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { homeOnly } from '../../../shared/aws/failover.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';

const conditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));

/** Answers of a table that was reached: faults of the request, not an outage, so they pass as they are. */
const ANSWERS_OF_A_REACHABLE_TABLE = [
  'ResourceNotFoundException',
  'ValidationException',
  'TransactionCanceledException',
];

/** An unreachable table is a 503, never a 500 and never a half-answer. */
export const guard = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    if (conditionFailed(error)) throw error;
    if (ANSWERS_OF_A_REACHABLE_TABLE.includes((error as Error).name)) throw error;
    throw new DependencyUnavailableError('dynamodb');
  }
};

/** Runs a conditional write; `onConditionFailed` answers instead when its condition does not hold. */
export const unlessConditionFails = async <T, F>(
  write: () => Promise<T>,
  onConditionFailed: () => F,
): Promise<T | F> => {
  try {
    return await guard(write);
  } catch (error) {
    if (conditionFailed(error)) return onConditionFailed();
    throw error;
  }
};

/**
 * DynamoDB refuses a key over 2048 bytes (partition) or 1024 bytes (sort) with a ValidationException.
 * No item can have such a key, so a lookup by one (a caller's username or client id) finds nothing.
 */
const storableKey = (pk: string, sk: string) => Buffer.byteLength(pk) <= 2048 && Buffer.byteLength(sk) <= 1024;

/** The most hits a rate counter item records in one window (see `increment`). */
export const HIT_CAP = 1000;

/** Fixed windows of `seconds`, numbered since the epoch. */
export const windowOf = (now: number, seconds: number) => Math.floor(now / seconds);

export type IdentityTable = ReturnType<typeof identityTable>;

/** The identity table: single-table design, pk/sk strings, items expire by `expiresAt`. */
export function identityTable(documents: DynamoDBDocumentClient, name: string) {
  const get = async <V>(pk: string, sk: string, consistent = false) =>
    guard(async () => {
      if (!storableKey(pk, sk)) return undefined;
      const read = new GetCommand({ TableName: name, Key: { pk, sk }, ConsistentRead: consistent });
      const answer = await documents.send(read);
      return answer.Item as (V & { pk: string }) | undefined;
    });
  const put = async (item: Record<string, unknown>) => {
    await guard(() => documents.send(new PutCommand({ TableName: name, Item: item })));
  };
  /**
   * Counts a hit on a counter item that expires two windows on; answers the count. A hit is a random
   * id added to a string set, not `ADD count 1`: the SDK's retry of a timed-out request, or the
   * failover client's repeat in the other region (shared/aws/failover.ts), sends the same id again,
   * and adding it twice counts it once. The set stops growing at HIT_CAP ids (an item stays small);
   * past it every hit answers HIT_CAP + 1, over any limit.
   */
  const increment = async (pk: string, sk: string, now: number, windowSeconds: number) => {
    const hit = randomUUID();
    const answer = await unlessConditionFails(
      () =>
        documents.send(
          new UpdateCommand({
            TableName: name,
            Key: { pk, sk },
            UpdateExpression: 'ADD #hits :hit SET expiresAt = :expires',
            ConditionExpression: 'attribute_not_exists(#hits) OR size(#hits) < :cap OR contains(#hits, :id)',
            ExpressionAttributeNames: { '#hits': 'hits' },
            ExpressionAttributeValues: {
              ':hit': new Set([hit]),
              ':id': hit,
              ':cap': HIT_CAP,
              ':expires': now + 2 * windowSeconds,
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      () => undefined,
    );
    return answer ? ((answer.Attributes?.hits as Set<string> | undefined)?.size ?? 1) : HIT_CAP + 1;
  };
  /**
   * Flips `used` from false to true atomically, setting `also`'s attributes in the same write;
   * `again` when it was already true (a replay), and then nothing is written.
   */
  const consumeOnce = async <V>(
    pk: string,
    sk: string,
    also: Record<string, unknown> = {},
  ): Promise<{ item: V; again: boolean } | undefined> => {
    const extra = Object.keys(also);
    const names = Object.fromEntries(extra.map((attribute, i) => [`#also${i}`, attribute]));
    const values = Object.fromEntries(extra.map((attribute, i) => [`:also${i}`, also[attribute]]));
    const sets = extra.map((_, i) => `, #also${i} = :also${i}`).join('');
    // homeOnly: a consume repeated in the other region inside the replication lag could succeed twice.
    const flipped = await unlessConditionFails(
      () =>
        documents.send(
          homeOnly(
            new UpdateCommand({
              TableName: name,
              Key: { pk, sk },
              UpdateExpression: `SET used = :true${sets}`,
              ConditionExpression: 'attribute_exists(pk) AND used = :false',
              ...(extra.length ? { ExpressionAttributeNames: names } : {}),
              ExpressionAttributeValues: { ':true': true, ':false': false, ...values },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        ),
      () => undefined,
    );
    if (flipped) return { item: flipped.Attributes as V, again: false };
    const item = await get<V>(pk, sk, true);
    return item ? { item, again: true } : undefined;
  };
  return { documents, name, get, put, increment, consumeOnce };
}
