import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLocal } from '../../local/embedded-aws.ts';
import { LOCAL_CREDENTIALS } from '../../local/aws-clients.ts';
import { failoverDocumentClient, type FailoverEvent } from '../../shared/aws/failover.ts';
import { scratchDir } from '../../local/scratch.ts';
import { freePort } from '../../local/ports.ts';
import { createSingleTable } from '../../local/single-table.ts';

/**
 * Client failover between two regions, for real: two DynamoDB Local instances stand for the
 * home region (cn-north-1) and the other region (cn-northwest-1). Writers keep writing while the
 * home instance is stopped; every request must succeed.
 *
 * DynamoDB Local does not replicate between instances the way global tables do, so "nothing
 * lost" is defined as: every write a client saw acknowledged is readable afterwards from the
 * instance that acknowledged it (the home instance, restarted from its files, or the other one),
 * and the two sets together are exactly the acknowledged writes.
 */
const HOME = 'cn-north-1';
const PEER = 'cn-northwest-1';
const TABLE = 'dgov-test-control';
const WRITERS = 8;
const COOLDOWN_MS = 3_000;

const dir = scratchDir('failover');
let home: DynamoDbLocal;
let peer: DynamoDbLocal;
const raw = (endpoint: string, region: string) =>
  new DynamoDBClient({ region, endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });

beforeAll(async () => {
  home = new DynamoDbLocal({ dynamodbPort: await freePort(), dataDir: join(dir, 'home') });
  peer = new DynamoDbLocal({ dynamodbPort: await freePort() });
  await Promise.all([home.start(), peer.start()]);
  for (const [endpoint, region] of [
    [home.endpoint, HOME],
    [peer.endpoint, PEER],
  ] as const) {
    await createSingleTable(raw(endpoint, region), TABLE);
    // A fresh JVM runs its first requests interpreted: under load one can outlast the SDK's 800 ms,
    // and a retried conditional put then fails its own condition. Failover is the subject here.
    const warm = raw(endpoint, region);
    for (let round = 0; round < 25; round++)
      await Promise.all(
        Array.from({ length: WRITERS }, (_, id) =>
          warm.send(
            new PutItemCommand({
              TableName: TABLE,
              Item: { pk: { S: `warm#${id}` }, sk: { S: String(round) } },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        ),
      );
  }
});

/** The home region is started again after a test that stopped it, whatever the test's outcome. */
let homeStopped = false;
afterEach(async () => {
  if (homeStopped) await home.start();
  homeStopped = false;
});

afterAll(async () => {
  await Promise.allSettled([home?.stop(), peer?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The client functions get (shared/aws/dynamodb.ts), configured as a function in cn-north-1 with a peer would be. */
const client = (events: { failovers: FailoverEvent[]; served: Map<object, string> }) =>
  failoverDocumentClient({
    env: {
      AWS_REGION: HOME,
      AWS_ENDPOINT_URL_DYNAMODB: home.endpoint,
      DGOV_PEER_REGION: PEER,
      DGOV_PEER_ENDPOINT_URL_DYNAMODB: peer.endpoint,
    },
    clientConfig: { region: HOME, endpoint: home.endpoint, credentials: LOCAL_CREDENTIALS },
    cooldownMs: COOLDOWN_MS,
    onFailover: (event) => events.failovers.push(event),
    onServed: (target, command) => events.served.set(command, target),
  });

const keysIn = async (endpoint: string, region: string, prefix: string): Promise<Set<string>> => {
  const keys = new Set<string>();
  let start: Record<string, never> | undefined;
  do {
    const page = await raw(endpoint, region).send(
      new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) if (item.pk!.S!.startsWith(prefix)) keys.add(`${item.pk!.S}/${item.sk!.S}`);
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return keys;
};

describe('failover between two regions (two DynamoDB Local instances)', () => {
  it('keeps every request succeeding while the home region is stopped under load, loses no acknowledged write, and fails back', async () => {
    const events = { failovers: [] as FailoverEvent[], served: new Map<object, string>() };
    const documents = client(events);
    const acknowledged = new Map<string, string>(); // key → the region that acknowledged it
    const failures: string[] = [];
    const latencies: number[] = [];
    let stoppedAt = 0;
    let firstPeerAnswerAt = 0;
    let running = true;

    const writer = async (id: number) => {
      for (let n = 0; running; n++) {
        const key = { pk: `load#${id}`, sk: String(n).padStart(6, '0') };
        const command = new PutCommand({
          TableName: TABLE,
          Item: { ...key, writer: id, at: Date.now() },
          ConditionExpression: 'attribute_not_exists(pk)',
        });
        const started = Date.now();
        try {
          await documents.send(command);
          latencies.push(Date.now() - started);
          const region = events.served.get(command)!;
          acknowledged.set(`${key.pk}/${key.sk}`, region);
          if (region === PEER && stoppedAt && !firstPeerAnswerAt) firstPeerAnswerAt = Date.now();
        } catch (error) {
          failures.push(`${key.pk}/${key.sk}: ${(error as Error).name}: ${(error as Error).message}`);
        }
      }
    };

    const load = Array.from({ length: WRITERS }, (_, id) => writer(id));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const beforeStop = acknowledged.size;
    stoppedAt = Date.now();
    homeStopped = true;
    await home.stop(); // the home region goes away mid-load
    await new Promise((resolve) => setTimeout(resolve, 2_500 + COOLDOWN_MS)); // long enough to retry home once after the cooldown
    running = false;
    await Promise.all(load);

    const switchMs = firstPeerAnswerAt - stoppedAt;
    const byRegion = (region: string) => [...acknowledged].filter(([, where]) => where === region).map(([key]) => key);
    console.info(
      `failover: ${acknowledged.size + failures.length} requests, ${failures.length} failed, ${byRegion(HOME).length} answered by ${HOME} ` +
        `(${beforeStop} before the stop), ${byRegion(PEER).length} by ${PEER}; first answer from ${PEER} ${switchMs} ms after the stop began; ` +
        `${events.failovers.length} failovers; slowest request ${Math.max(...latencies)} ms`,
    );

    expect(failures).toEqual([]);
    expect(beforeStop).toBeGreaterThan(0);
    expect(byRegion(HOME).length).toBeGreaterThanOrEqual(beforeStop);
    expect(byRegion(PEER).length).toBeGreaterThan(0);
    expect(events.failovers.every((event) => event.from === HOME && event.to === PEER)).toBe(true);
    expect(events.failovers.length).toBeGreaterThan(0);
    expect(switchMs).toBeGreaterThan(0);

    // Nothing lost: each acknowledged write is where it was acknowledged.
    await home.start(); // from its files, as a region coming back
    homeStopped = false;
    const [atHome, atPeer] = await Promise.all([
      keysIn(home.endpoint, HOME, 'load#'),
      keysIn(peer.endpoint, PEER, 'load#'),
    ]);
    const missing = [...acknowledged].filter(([key, region]) => !(region === HOME ? atHome : atPeer).has(key));
    expect(missing).toEqual([]);
    // ...and nothing appears that no client was told about. A write in both instances is one the
    // home region applied as it went down (reset mid-request) and the other region then acknowledged.
    const phantom = [...atHome, ...atPeer].filter((key) => !acknowledged.has(key));
    expect(phantom).toEqual([]);
    console.info(
      `failover: ${[...atPeer].filter((key) => atHome.has(key)).length} writes applied in both regions (home went down mid-request)`,
    );

    // Fail back: once the cooldown has passed, the home region answers again.
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS));
    const back = new PutCommand({ TableName: TABLE, Item: { pk: 'failback', sk: '1' } });
    await documents.send(back);
    expect(events.served.get(back)).toBe(HOME);
    expect(
      (await raw(home.endpoint, HOME).send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items?.some(
        (item) => item.pk?.S === 'failback',
      ),
    ).toBe(true);
  });

  it('answers a rejected condition from the home region and never retries it in the other region', async () => {
    const events = { failovers: [] as FailoverEvent[], served: new Map<object, string>() };
    const documents = client(events);
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: 'once', sk: '1' },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await expect(
      documents.send(
        new PutCommand({
          TableName: TABLE,
          Item: { pk: 'once', sk: '1', again: true },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(events.failovers).toEqual([]);
    const atPeer = await raw(peer.endpoint, PEER).send(new ScanCommand({ TableName: TABLE }));
    expect(atPeer.Items?.some((item) => item.pk?.S === 'once')).toBe(false);
    expect(
      (await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: 'once', sk: '1' }, ConsistentRead: true })))
        .Item,
    ).toEqual({ pk: 'once', sk: '1' });
  });
});
