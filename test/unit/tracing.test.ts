import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '../../shared/aws/dynamodb.ts';
import { tracer } from '../../shared/observability.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const XRAY_MIDDLEWARE = 'XRaySDKInstrumentation';
const middlewareNames = (client: DynamoDBClient) =>
  client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);

afterEach(() => vi.unstubAllEnvs());

describe('tracing outside Lambda', () => {
  it('is off where there is no Lambda execution environment, and leaves the shared clients as they are', () => {
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(middlewareNames(dynamodb)).not.toContain(XRAY_MIDDLEWARE);
    const client = new DynamoDBClient({ region: 'cn-north-1' });
    expect(tracer.captureAWSv3Client(client)).toBe(client);
  });

  it('is off when POWERTOOLS_TRACE_ENABLED=false, as the local runtime sets beside AWS_EXECUTION_ENV', () => {
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
    expect(new Tracer({ captureHTTPsRequests: false }).isTracingEnabled()).toBe(true);
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    expect(new Tracer({ captureHTTPsRequests: false }).isTracingEnabled()).toBe(false);
  });
});

describe('tracing in Lambda', () => {
  // A DynamoDB that knows one table, and a daemon socket that collects what X-Ray would receive.
  let dynamo: Server;
  let daemon: Socket;
  const documents: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dynamo = createServer((request, response) => {
      request.resume().on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"TableNames":["things"]}');
      });
    });
    daemon = createSocket('udp4').on('message', (packet) => {
      // Each packet is a header line, then one segment or subsegment document.
      documents.push(JSON.parse(packet.toString('utf8').split('\n')[1]!) as Record<string, unknown>);
    });
    await Promise.all([
      new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve)),
      new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve)),
    ]);
  });

  afterAll(() => {
    dynamo?.close();
    daemon?.close();
  });

  it('records handlers and SDK calls, flags refused and failed requests, and stays quiet', async () => {
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'cn-north-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: ROOT,
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      POWERTOOLS_SERVICE_NAME: 'traced',
    };
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/traced-invocation.ts'],
      { cwd: ROOT, env, timeout: 30_000 },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ tracing: true, tables: ['things'], secret: 'response body', statuses: [404, 500] });
    const traceId = '1-67891233-abcdef012345678912345678';
    expect(lines[0]).toMatchObject({ message: 'listing tables', xray_trace_id: traceId });
    // stderr holds the 500's own log line and nothing from the tracer or the X-Ray SDK.
    const errorLines = stderr.trim().split('\n');
    expect(errorLines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['unhandled error']);

    const handlers = () => documents.filter((doc) => doc.name === '## index.handler');
    await vi.waitFor(() => expect(handlers()).toHaveLength(3));
    const [listed, refused, failed] = handlers();
    expect(listed).toMatchObject({ trace_id: traceId, annotations: { Service: 'traced' } });
    expect(listed).not.toHaveProperty('error');
    expect(listed).not.toHaveProperty('fault');
    // X-Ray's reading of HTTP statuses: a refused request is an error, a failure a fault.
    expect(refused).toMatchObject({ error: true });
    expect(refused).not.toHaveProperty('fault');
    expect(failed).toMatchObject({ fault: true });
    expect(JSON.stringify(documents)).not.toContain('response body');
    const all = (doc: Record<string, unknown>): Record<string, unknown>[] => [
      doc,
      ...((doc.subsegments as Record<string, unknown>[] | undefined) ?? []).flatMap(all),
    ];
    const call = documents.flatMap(all).find((doc) => doc.name === 'DynamoDB');
    expect(call).toMatchObject({ aws: { operation: 'ListTables', region: 'cn-north-1' } });
  });
});
