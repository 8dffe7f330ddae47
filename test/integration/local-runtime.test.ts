import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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
