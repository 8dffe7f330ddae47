import { PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../functions/routes.ts';
import { buildApp } from '../../infra/app.ts';
import { startRuntime, type LocalRuntime, type RuntimeOptions } from '../../local/runtime.ts';
import { localAppContext } from '../../local/keys.ts';
import { synthStacks } from '../../local/synth.ts';
import { scratchDir } from '../../local/scratch.ts';
import { freePort } from '../../local/ports.ts';

// The product app on its own embedded AWS (not the shared one), because these tests stop it.
const dir = scratchDir('product');
let options: RuntimeOptions;
let runtime: LocalRuntime;

beforeAll(async () => {
  // Synthesized once: the restarts below run the same app, and a synth bundles every function again.
  let stacks: ReturnType<typeof synthStacks> | undefined;
  options = {
    synth: () => {
      stacks ??= synthStacks((props) => buildApp(props).app, join(dir, 'cdk.out'), localAppContext(dir));
      return stacks;
    },
    port: 0,
    dataDir: dir,
    dynamodbPort: await freePort(),
    servicesPort: await freePort(),
  };
  runtime = await startRuntime(options);
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const health = async () => {
  const response = await fetch(`${runtime.url}/health`);
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { status: string; detail?: string; dependencies: Record<string, string> },
  };
};

describe('the two-region app, locally', () => {
  it('runs the primary region only: every route once, every table and queue once', () => {
    expect(runtime.region).toBe('cn-north-1');
    const routes = runtime.environment.routes;
    expect(new Set(routes).size).toBe(routes.length);
    // Every contract's route, `$default` (the fallback) and `OPTIONS /{proxy+}` (CORS preflights).
    expect(routes).toHaveLength(allRoutes.length + 2);
    expect(Object.values(runtime.environment.tables).every((name) => name.includes('-cn-north-1-'))).toBe(true);
    const queues = runtime.environment.queues;
    expect(Object.keys(queues)).toEqual(expect.arrayContaining(['auditDeadLetters', 'auditQueue']));
    // One of each queue: no role shares a queue with another, as a second region's copy would.
    expect(new Set(Object.values(queues)).size).toBe(Object.keys(queues).length);
  });
});

describe('/health while a dependency fails', () => {
  it('answers 503 naming DynamoDB while DynamoDB Local is stopped, and 200 once it is back', async () => {
    expect((await health()).status).toBe(200);

    await runtime.embedded!.dynamodb.stop();
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBeTruthy();
    expect(down.body.status).toBe('unavailable');
    expect(down.body.dependencies).toEqual({ dynamodb: 'down', sqs: 'ok', s3: 'ok' });
    expect(down.body.detail).toBe('dynamodb is down');

    await runtime.embedded!.dynamodb.start();
    // A restarted JVM answers its first requests slowly, past the SDK's 800 ms attempt limit on a loaded
    // machine: a 503 then is the right answer (with Retry-After), so ask again as a client would, for 15 s.
    let back = await health();
    for (const started = Date.now(); back.status === 503 && Date.now() - started < 15_000; back = await health()) {
      expect(back.retryAfter).toBeTruthy();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(back.status).toBe(200);
    expect(back.body.dependencies.dynamodb).toBe('ok');
  });
});

describe('data across restarts', () => {
  it('keeps table items and bucket objects when restarted, and forgets them with fresh', async () => {
    const table = runtime.environment.tables.controlTable!;
    const bucket = runtime.environment.buckets.auditBucket!;
    await runtime.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'restart' }, sk: { S: 'check' } } }),
    );
    await runtime.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'restart/check.txt', Body: 'kept', ContentType: 'text/plain' }),
    );
    await runtime.stop();

    runtime = await startRuntime(options);
    const item = await runtime.clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'restart' }, sk: { S: 'check' } } }),
    );
    expect(item.Item?.pk?.S).toBe('restart');
    const object = await runtime.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'restart/check.txt' }));
    expect(await object.Body!.transformToString()).toBe('kept');
    expect(object.ContentType).toBe('text/plain');
    await runtime.stop();

    runtime = await startRuntime({ ...options, fresh: true });
    const gone = await runtime.clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'restart' }, sk: { S: 'check' } } }),
    );
    expect(gone.Item).toBeUndefined();
    await expect(
      runtime.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'restart/check.txt' })),
    ).rejects.toThrow();
  });
});
