import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_TIMEOUT_MS, clientOptions, MAX_ATTEMPTS } from '../../shared/aws/client-options.ts';
import { namedDependency } from '../../shared/aws/unavailable.ts';
import { ConflictError, dependencyFailure, DependencyUnavailableError } from '../../shared/errors.ts';
import { httpHandler, type HttpResult } from '../../shared/http.ts';
import { problemResponse } from '../../shared/problem.ts';
import { defineRoute } from '../../shared/route-contract.ts';

const sdkError = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
const socketError = (code: string, message = `connect ${code} 127.0.0.1:1`) =>
  Object.assign(new Error(message), { code });

describe('dependencyFailure: what a dependency that cannot serve us becomes', () => {
  it.each([
    ['the SDK request timeout', sdkError('TimeoutError')],
    ['a socket hang up', Object.assign(socketError('ECONNRESET', 'socket hang up'), { name: 'TimeoutError' })],
    ['a refused connection', socketError('ECONNREFUSED')],
    ['a service-side RequestTimeoutException', sdkError('RequestTimeoutException')],
    ['a 503 after the retries', sdkError('ServiceUnavailable', 503)],
    ['throttling after the retries', sdkError('ProvisionedThroughputExceededException', 400)],
  ])('%s is 503 dependency-unavailable with Retry-After', (_what, error) => {
    const failure = dependencyFailure(error);
    expect(failure).toBeInstanceOf(DependencyUnavailableError);
    expect(failure?.headers['retry-after']).toBe('5');
    expect(failure?.cause).toBe(error);
  });

  it.each([
    ['ConditionalCheckFailed', sdkError('ConditionalCheckFailedException', 400)],
    ['a validation error', sdkError('ValidationException', 400)],
    ['a programming error', new TypeError('x is undefined')],
    ['a domain error', new ConflictError('exists')],
    ['a message that only mentions a refusal', new Error('connect ECONNREFUSED')],
  ])('%s is left alone', (_what, error) => {
    expect(dependencyFailure(error)).toBeUndefined();
  });
});

describe('a hung dependency through the shared client options', () => {
  // Accepts connections and never answers: what a frozen (SIGSTOP) process looks like from outside.
  let server: Server;
  const sockets = new Set<Socket>();
  let endpoint = '';
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up after MAX_ATTEMPTS attempts of ATTEMPT_TIMEOUT_MS, and the problem is a 503 naming it', async () => {
    const client = namedDependency(
      new DynamoDBClient({
        ...clientOptions,
        endpoint,
        region: 'cn-north-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
      'dynamodb',
    );
    const started = Date.now();
    const error = await client.send(new ListTablesCommand({})).catch((thrown: unknown) => thrown);
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: MAX_ATTEMPTS } });
    expect(elapsed).toBeGreaterThanOrEqual(MAX_ATTEMPTS * ATTEMPT_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(3_000);
    const response = problemResponse(error, 'req-1');
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '5' });
    expect(JSON.parse(response.body!)).toMatchObject({
      type: 'urn:dgov:problem:dependency-unavailable',
      dependency: 'dynamodb',
      requestId: 'req-1',
    });
    expect(response.body).not.toMatch(/TimeoutError|requestTimeout|127\.0\.0\.1/);
    client.destroy();
  });
});

describe('httpHandler', () => {
  const route = defineRoute({
    method: 'GET',
    path: '/slow',
    operationId: 'slow',
    summary: 'x',
    tags: [],
    auth: 'none',
    responses: { 200: { description: 'ok' } },
  });
  const event = {
    version: '2.0',
    routeKey: 'GET /slow',
    rawPath: '/slow',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: 'gw-1', http: { method: 'GET', path: '/slow' } },
  } as unknown as APIGatewayProxyEventV2;
  const context = { awsRequestId: 'x', functionName: 'fn', getRemainingTimeInMillis: () => 10_000 } as Context;

  it('answers an SDK timeout thrown anywhere in a handler as 503 with Retry-After', async () => {
    const handler = httpHandler(route, async () => {
      throw Object.assign(sdkError('TimeoutError'), { $dependency: 'sqs' });
    });
    const response = (await handler(event, context)) as HttpResult;
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '5', 'content-type': 'application/problem+json' });
    expect(JSON.parse(response.body!)).toMatchObject({ dependency: 'sqs', requestId: 'gw-1' });
  });
});
