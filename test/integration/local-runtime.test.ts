import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FunctionSpec, type InvocationError, LambdaHost, type PoolOptions } from '../../local/lambda-host.ts';
import { startRuntime, type LocalRuntime } from '../../local/runtime.ts';
import { synthStacks } from '../../local/synth.ts';
import { buildRuntimeFixture, FIXTURE_AUDIENCE } from '../fixtures/runtime-app.ts';
import { TestIssuer } from '../support/jwks-issuer.ts';
import { scratchDir } from '../../local/scratch.ts';
import { freePort } from '../../local/ports.ts';
import { ProbeReader } from '../support/probe.ts';

/** What Lambda itself puts in every function's environment, the local endpoints, and the tracing switch. */
const RUNTIME_VARIABLES = /^(AWS_|TZ$|POWERTOOLS_TRACE_ENABLED$)/;

let runtime: LocalRuntime;
let probe: ProbeReader;
const issuer = new TestIssuer();
const dir = scratchDir('runtime');
const log: string[] = [];
/** Small pools and a short idle time, so that scaling out and retiring are quick to observe. */
const SANDBOXES = 4;
const IDLE_MS = 1_500;

beforeAll(async () => {
  await issuer.start(await freePort());
  runtime = await startRuntime({
    synth: () => synthStacks(buildRuntimeFixture, join(dir, 'cdk.out'), { issuer: issuer.url }),
    port: 0,
    dataDir: dir,
    dynamodbPort: 0,
    servicesPort: 0,
    aws: inject('aws'),
    timeScale: 1 / 60,
    sandboxes: SANDBOXES,
    sandboxIdleMs: IDLE_MS,
    log: (line) => log.push(line),
  });
  probe = new ProbeReader(runtime.clients.sqs, runtime.environment.queues.probe!);
});

afterAll(async () => {
  if (process.env.DGOV_TEST_DEBUG) console.log(log.join('\n'));
  await runtime?.stop();
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${runtime.url}${path}`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

describe('each function runs in its own sandbox', () => {
  it('gives two functions different values for the same variable name, and nothing else of the host', async () => {
    const a = JSON.parse((await get('/a')).text) as { shared: string; onlyA: string | null; keys: string[] };
    const b = JSON.parse((await get('/b')).text) as { shared: string; onlyA: string | null; keys: string[] };
    expect(a.shared).toBe('alpha');
    expect(b.shared).toBe('beta');
    expect(a.onlyA).toBe('a');
    expect(b.onlyA).toBeNull();
    expect(b.keys).not.toContain('ONLY_A');
    // The host's own variables (PATH, HOME, the test runner's) never leak into a sandbox.
    const templateVariables = new Set([
      'SHARED_NAME',
      'ONLY_A',
      'DGOV_STAGE',
      'DGOV_VERSION',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_LOG_LEVEL',
    ]);
    for (const key of [...a.keys, ...b.keys])
      expect(templateVariables.has(key) || RUNTIME_VARIABLES.test(key), key).toBe(true);
    expect(a.keys).not.toContain('PATH');
    expect(a.keys).not.toContain('VITEST');
  });

  it('answers a throwing handler with 500 problem+json that carries the request id and no internals, and keeps serving', async () => {
    const crashed = await get('/crash', { 'x-request-id': 'crash-check-1' });
    expect(crashed.status).toBe(500);
    expect(crashed.headers.get('content-type')).toBe('application/problem+json');
    const problem = JSON.parse(crashed.text) as { status: number; requestId: string };
    expect(problem.status).toBe(500);
    expect(problem.requestId).toBeTruthy();
    expect(crashed.text).not.toContain('secret');
    expect(crashed.text).not.toContain('dgov-internal');
    expect((await get('/a')).status).toBe(200);
  });
});

describe('each function runs in a pool of sandboxes, as Lambda scales out', () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const hostOf = (id: string) =>
    [...runtime.hosts.values()].find((host) => host.spec.displayName.split('/').includes(id))!;
  const seen = new Set<string>();
  /** The module-level id of the sandbox that answered. */
  const sandboxOf = async (path: string) => {
    const answer = await get(path);
    expect(answer.status, answer.text).toBe(200);
    const { sandbox } = JSON.parse(answer.text) as { sandbox: string };
    seen.add(sandbox);
    return sandbox;
  };
  const concurrently = (count: number, path: string) =>
    Promise.all(Array.from({ length: count }, () => sandboxOf(path)));

  it('spreads concurrent invocations over several sandboxes, each with its own module state', async () => {
    const host = hostOf('Pooled');
    expect(host.pool.size).toBe(SANDBOXES);
    const ids = await concurrently(SANDBOXES, '/sandbox?sleep=300');
    expect(new Set(ids).size).toBeGreaterThan(1);
    expect(host.peakSandboxes).toBeLessThanOrEqual(SANDBOXES);
    expect(host.coldStarts).toBe(new Set(ids).size);
  });

  it('never runs more sandboxes than the reserved concurrency; the other requests wait and are answered', async () => {
    const host = hostOf('Pair');
    expect(host.pool.size).toBe(2);
    const ids = await concurrently(5, '/pair?sleep=200');
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBeLessThanOrEqual(2);
    expect(host.peakSandboxes).toBeLessThanOrEqual(2);
  });

  it('retires a sandbox idle longer than the idle time; the next invocation is a cold start with fresh state', async () => {
    const host = hostOf('Pooled');
    const before = await sandboxOf('/sandbox');
    expect(await sandboxOf('/sandbox')).toBe(before); // warm: the same sandbox, its module state kept
    await pause(IDLE_MS + 700);
    expect(host.sandboxes).toBe(0);
    const starts = host.coldStarts;
    const after = await sandboxOf('/sandbox');
    expect(host.coldStarts).toBe(starts + 1);
    expect(after).not.toBe(before);
    expect([...seen].filter((id) => id === after)).toHaveLength(1);
  });

  it('discards only the sandbox that crashed', async () => {
    const host = hostOf('Pair');
    const [survivor, crashed] = await Promise.all([sandboxOf('/pair?sleep=600'), get('/pair?crash=1')]);
    expect(crashed.status).toBe(500);
    expect(log.some((line) => line.includes('sandbox crashed: sandbox crash'))).toBe(true);
    expect(host.sandboxes).toBe(1);
    const starts = host.coldStarts;
    const ids = await concurrently(2, '/pair?sleep=200');
    expect(ids).toContain(survivor); // the other sandbox kept its module state
    expect(new Set(ids).size).toBe(2);
    expect(host.coldStarts).toBe(starts + 1); // and the crashed one was replaced by a cold start
  });
});

describe('SQS event source mapping', () => {
  it('retries a failing record, moves it to the DLQ after maxReceiveCount, and deletes the rest of its batch', async () => {
    const queues = runtime.environment.queues;
    await runtime.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.work,
        Entries: [
          { Id: '1', MessageBody: JSON.stringify({ id: 'ok-1' }) },
          { Id: '2', MessageBody: JSON.stringify({ id: 'bad-1', poison: true }) },
          { Id: '3', MessageBody: JSON.stringify({ id: 'ok-2' }) },
        ],
      }),
    );
    await probe.waitFor((body) => body === 'processed:ok-1');
    await probe.waitFor((body) => body === 'processed:ok-2');
    await probe.waitFor((body) => body === 'attempt:bad-1:1');
    await probe.waitFor((body) => body === 'attempt:bad-1:2');

    const deadline = Date.now() + 20_000;
    let deadLetters: string[] = [];
    while (deadLetters.length === 0 && Date.now() < deadline) {
      const { Messages = [] } = await runtime.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queues.workDeadLetters, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      deadLetters = Messages.map((message) => message.Body ?? '');
    }
    expect(deadLetters).toEqual([JSON.stringify({ id: 'bad-1', poison: true })]);

    const { Attributes } = await runtime.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queues.work,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(0);
    expect(Number(Attributes?.ApproximateNumberOfMessagesNotVisible)).toBe(0);
    // Tried exactly maxReceiveCount times, and the good records were processed once each.
    expect(probe.seen.filter((body) => body.startsWith('attempt:bad-1:'))).toHaveLength(2);
    expect(probe.seen.filter((body) => body === 'processed:ok-1')).toHaveLength(1);
  });
});

describe('schedules and S3 notifications', () => {
  it('fires an EventBridge rate schedule', async () => {
    expect(await probe.waitFor((body) => body.startsWith('tick:'))).toBe('tick:Scheduled Event');
  });

  it('delivers object-created notifications that match the prefix, and only those', async () => {
    const bucket = runtime.environment.buckets.uploads!;
    await runtime.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/skip.txt', Body: 'no' }));
    await runtime.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/report.csv', Body: 'a,b\n' }));
    await probe.waitFor((body) => body === `uploaded:${bucket}:in/report.csv`);
    expect(probe.seen.some((body) => body.includes('other/skip.txt'))).toBe(false);
  });
});

describe('the JWT authorizer the template declares', () => {
  const valid = { aud: FIXTURE_AUDIENCE, sub: 'citizen-1', scope: 'fixture:read' };

  it('passes a valid token and hands its claims to the function', async () => {
    const answer = await get('/secure', { authorization: `Bearer ${issuer.token(valid)}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).jwt.claims.sub).toBe('citizen-1');
  });

  it.each([
    ['no token', undefined],
    ['an expired token', () => issuer.token({ ...valid, exp: Math.floor(Date.now() / 1000) - 10 })],
    ['a token not yet valid', () => issuer.token({ ...valid, nbf: Math.floor(Date.now() / 1000) + 600 })],
    ['another audience', () => issuer.token({ ...valid, aud: 'someone-else' })],
    ['another issuer', () => issuer.token({ ...valid, iss: 'http://127.0.0.1:9/evil' })],
    ['an unknown kid', () => issuer.token(valid, { kid: 'nope' })],
    [
      'alg none',
      () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(valid)).toString('base64url')}.`,
    ],
    [
      'a tampered payload',
      () => {
        const [head, , signature] = issuer.token(valid).split('.');
        return `${head}.${Buffer.from(JSON.stringify({ ...valid, sub: 'admin' })).toString('base64url')}.${signature}`;
      },
    ],
  ])('refuses %s with 401 and a Bearer challenge', async (_name, token) => {
    const answer = await get('/secure', token ? { authorization: `Bearer ${token()}` } : {});
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses a valid token without the route scope with 403', async () => {
    const answer = await get('/secure', { authorization: `Bearer ${issuer.token({ ...valid, scope: 'other' })}` });
    expect(answer.status).toBe(403);
  });
});

describe('bad input over HTTP changes nothing', () => {
  const post = (body: string | Buffer, contentType = 'application/json') =>
    fetch(`${runtime.url}/items`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const itemCount = async () =>
    (
      await runtime.clients.dynamodb.send(
        new ScanCommand({ TableName: runtime.environment.tables.items!, Select: 'COUNT' }),
      )
    ).Count ?? 0;

  it.each([
    ['a body over 256 KiB', () => post(JSON.stringify({ id: 'big', quantity: 1, pad: 'x'.repeat(300 * 1024) })), 413],
    ['a body that is not JSON', () => post('id=1', 'text/plain'), 415],
    ['broken JSON', () => post('{"id": "x",'), 400],
    ['a field of the wrong type', () => post(JSON.stringify({ id: 'x', quantity: 'many' })), 400],
  ])('refuses %s with problem+json and writes nothing', async (_name, send, status) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { status: number; type: string };
    expect(problem.status).toBe(status);
    expect(await itemCount()).toBe(0);
  });

  it('names each invalid field', async () => {
    const response = await post(JSON.stringify({ id: '', quantity: 1.5 }));
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path).sort()).toEqual(['body.id', 'body.quantity']);
  });

  it('stores a valid item', async () => {
    expect((await post(JSON.stringify({ id: 'good', quantity: 2 }))).status).toBe(201);
    expect(await itemCount()).toBe(1);
  });
});

/** One host on a bare bundle (no AWS), to observe the pool itself: timeouts, crashes, stop, throttling. */
const spec: FunctionSpec = {
  displayName: 'unit/Sandbox',
  functionName: 'unit-sandbox',
  functionArn: 'arn:aws:lambda:cn-north-1:000000000000:function:unit-sandbox',
  bundlePath: fileURLToPath(new URL('../fixtures/functions/sandbox.mjs', import.meta.url)),
  handlerName: 'handler',
  timeoutSeconds: 0.4,
  memorySize: 128,
  environment: { FIXTURE_VARIABLE: 'set' },
};

const poolHosts: LambdaHost[] = [];
const poolOutput: string[] = [];
const bareHost = (pool: Partial<PoolOptions>) => {
  const host = new LambdaHost(spec, (_name, line) => poolOutput.push(line), pool);
  poolHosts.push(host);
  return host;
};
const bareSandboxOf = async (host: LambdaHost, event: object) =>
  ((await host.invoke(event)) as { sandbox: string }).sandbox;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: InvocationError) => error,
  );

describe('the sandbox pool of one function, on a bare bundle', () => {
  afterEach(async () => {
    await Promise.all(poolHosts.splice(0).map((host) => host.stop()));
  });

  it('gives each sandbox the function environment, and reuses a warm sandbox', async () => {
    const host = bareHost({ size: 3 });
    expect(await host.invoke({})).toMatchObject({ variable: 'set' });
    const first = await bareSandboxOf(host, {});
    expect(await bareSandboxOf(host, {})).toBe(first);
    expect(host.coldStarts).toBe(1);
  });

  it('discards only the sandbox that timed out', async () => {
    const host = bareHost({ size: 2 });
    const [timedOut, fast] = await Promise.all([
      failure(host.invoke({ sleep: 2_000 })),
      bareSandboxOf(host, { sleep: 50 }),
    ]);
    expect(timedOut?.name).toBe('Sandbox.Timedout');
    expect(host.sandboxes).toBe(1);
    const ids = await Promise.all([bareSandboxOf(host, { sleep: 100 }), bareSandboxOf(host, { sleep: 100 })]);
    expect(ids).toContain(fast);
    expect(host.coldStarts).toBe(3);
  });

  it('gives a crashed sandbox place to a request that waits for one', async () => {
    const host = bareHost({ size: 1 });
    const [crashed, answered] = await Promise.all([failure(host.invoke({ crash: true })), bareSandboxOf(host, {})]);
    expect(crashed?.name).toBe('Runtime.ExitError');
    expect(answered).toBeTruthy();
    expect(host.coldStarts).toBe(2);
    expect(poolOutput.some((line) => line.includes('sandbox crashed'))).toBe(true);
  });

  it('retires idle sandboxes, and stop refuses the requests still waiting', async () => {
    const host = bareHost({ size: 1, idleMs: 100 });
    await host.invoke({});
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(host.sandboxes).toBe(0);
    const running = failure(host.invoke({ sleep: 300 }));
    const waiting = failure(host.invoke({}));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await host.stop();
    expect((await waiting)?.message).toMatch(/stopping/);
    expect((await running)?.name).toBe('Runtime.ExitError');
    expect(host.sandboxes).toBe(0);
  });

  it('throttles every invocation when the reserved concurrency is 0', async () => {
    const error = await failure(bareHost({ size: 0 }).invoke({}));
    expect(error?.name).toBe('TooManyRequestsException');
  });
});
