import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoRateCounter } from '../../../functions/identity/dynamodb/rate-counter.ts';
import { HIT_CAP, identityTable } from '../../../functions/identity/dynamodb/table.ts';
import { createSingleTable } from '../../../local/single-table.ts';
import { testClients } from '../../support/aws.ts';

/**
 * The rate counter under repeated requests: a write whose answer was lost is sent again, by the SDK's
 * retry in the same region or by the failover client in the other (shared/aws/failover.ts). Either
 * way the same command arrives twice; it must count once.
 */
const clients = testClients();
const name = `rate-${randomUUID().slice(0, 8)}`;
beforeAll(() => createSingleTable(clients.dynamodb, name));

/** A document client that applies every write twice, answering the second (the first answer "lost"). */
function appliedTwice(): DynamoDBDocumentClient {
  const documents = DynamoDBDocumentClient.from(clients.dynamodb);
  const send = documents.send.bind(documents) as (command: object) => Promise<unknown>;
  return Object.assign(Object.create(documents) as DynamoDBDocumentClient, {
    send: async (command: object) => {
      await send(command);
      return send(command);
    },
  });
}

describe('the rate counter, DynamoDB', () => {
  const now = Math.floor(Date.now() / 1000);

  it('counts a hit once when its request is applied twice', async () => {
    const counter = dynamoRateCounter(identityTable(appliedTwice(), name));
    expect([
      await counter.hit('register#203.0.113.7', now, 60),
      await counter.hit('register#203.0.113.7', now, 60),
    ]).toEqual([1, 2]);
  });

  it(`stops growing at ${HIT_CAP} hits a window, answering more than any limit after`, async () => {
    const counter = dynamoRateCounter(identityTable(DynamoDBDocumentClient.from(clients.dynamodb), name));
    const key = `login#${randomUUID()}`;
    const counts = await Promise.all(Array.from({ length: 40 }, () => counter.hit(key, now, 60)));
    expect(counts.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Filling a counter to the cap takes HIT_CAP writes; a smaller cap is not configurable, so the
    // answer past it is checked on a counter item stuffed to the cap directly.
    const stuffed = `login#${randomUUID()}`;
    const window = Math.floor(now / 60);
    await DynamoDBDocumentClient.from(clients.dynamodb).send(
      new UpdateCommand({
        TableName: name,
        Key: { pk: `rate#${stuffed}#${window}`, sk: 'rate' },
        UpdateExpression: 'ADD hits :ids',
        ExpressionAttributeValues: { ':ids': new Set(Array.from({ length: HIT_CAP }, () => randomUUID())) },
      }),
    );
    expect(await counter.hit(stuffed, now, 60)).toBe(HIT_CAP + 1);
  });
});
