import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { ConflictError } from '../../shared/errors.ts';
import { httpHandler, json, MAX_BODY_BYTES, type HttpRequest, type HttpResult } from '../../shared/http.ts';
import { logger } from '../../shared/observability.ts';
import { defineRoute, type RouteContract } from '../../shared/route-contract.ts';

const GATEWAY_REQUEST_ID = 'gw-request-id-1';

function v2Event(
  overrides: Partial<Omit<APIGatewayProxyEventV2, 'requestContext'>> & { method?: string } = {},
): APIGatewayProxyEventV2 {
  const { method = 'POST', ...rest } = overrides;
  const rawPath = rest.rawPath ?? '/things';
  return {
    version: '2.0',
    routeKey: `${method} /things`,
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
      requestId: GATEWAY_REQUEST_ID,
      routeKey: `${method} /things`,
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 1_735_689_600_000,
    },
    ...rest,
  };
}

const lambdaContext = (): Context =>
  ({
    awsRequestId: 'x',
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'test-fn',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:cn-north-1:000000000000:function:test-fn',
    memoryLimitInMB: '128',
    logGroupName: '/aws/lambda/test-fn',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

const headerOf = (response: HttpResult, name: string) => response.headers?.[name];
const problemOf = (response: HttpResult) => JSON.parse(response.body ?? '') as Record<string, unknown>;

const expectSecurityHeaders = (response: HttpResult) => {
  expect(headerOf(response, 'strict-transport-security')).toMatch(/^max-age=\d+/);
  expect(headerOf(response, 'x-content-type-options')).toBe('nosniff');
};

const expectProblem = (response: HttpResult, status: number, slug: string) => {
  expect(response.statusCode).toBe(status);
  expect(headerOf(response, 'content-type')).toBe('application/problem+json');
  expect(problemOf(response)).toMatchObject({ type: `urn:dgov:problem:${slug}`, status });
};

const createThing = defineRoute({
  method: 'POST',
  path: '/things',
  operationId: 'createThing',
  summary: 'Create a thing',
  tags: ['test'],
  auth: 'none',
  body: z.object({ name: z.string().check(z.minLength(1)), count: z.optional(z.number()) }),
  responses: { 201: { description: 'created' } },
});

/** A handler that records what it was given. */
function recording<C extends RouteContract>(contract: C, result: HttpResult = json(201, { ok: true })) {
  const calls: HttpRequest<unknown, unknown, unknown>[] = [];
  const handler = httpHandler(contract, async (request) => {
    calls.push(request as HttpRequest<unknown, unknown, unknown>);
    return result;
  });
  const invoke = (event: APIGatewayProxyEventV2) => handler(event, lambdaContext()) as Promise<HttpResult>;
  return { calls, invoke };
}

beforeEach(() => {
  // Keep the test output readable; the error path is asserted on below.
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  vi.spyOn(logger, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('httpHandler: JSON bodies', () => {
  it('hands a valid JSON body to the handler, parsed and validated', async () => {
    const { calls, invoke } = recording(createThing);
    const response = await invoke(v2Event({ body: JSON.stringify({ name: 'lamp', count: 2 }) }));
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body ?? '')).toEqual({ ok: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ name: 'lamp', count: 2 });
    expect(calls[0]!.sourceIp).toBe('203.0.113.9');
    expect(calls[0]!.raw.rawPath).toBe('/things');
  });

  it('decodes a base64-encoded body', async () => {
    const { calls, invoke } = recording(createThing);
    const body = Buffer.from(JSON.stringify({ name: '路灯' }), 'utf8').toString('base64');
    const response = await invoke(v2Event({ body, isBase64Encoded: true }));
    expect(response.statusCode).toBe(201);
    expect(calls[0]!.body).toEqual({ name: '路灯' });
  });

  it('accepts a content type with parameters, in any case, and +json types', async () => {
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json']) {
      const { calls, invoke } = recording(createThing);
      const response = await invoke(v2Event({ headers: { 'Content-Type': contentType }, body: '{"name":"a"}' }));
      expect(response.statusCode, contentType).toBe(201);
      expect(calls).toHaveLength(1);
    }
  });

  it('gives the handler lower-cased header names', async () => {
    const { calls, invoke } = recording(createThing);
    await invoke(v2Event({ headers: { 'Content-Type': 'application/json', 'X-Custom': 'v' }, body: '{"name":"a"}' }));
    expect(calls[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'x-custom': 'v' });
  });

  it('answers broken JSON with 400 malformed-body', async () => {
    const { calls, invoke } = recording(createThing);
    const response = await invoke(v2Event({ body: '{"name": "lamp"' }));
    expectProblem(response, 400, 'malformed-body');
    expect(calls).toHaveLength(0);
  });

  it('answers an empty body with 400 malformed-body', async () => {
    const { calls, invoke } = recording(createThing);
    expectProblem(await invoke(v2Event({})), 400, 'malformed-body');
    expect(calls).toHaveLength(0);
  });

  it('answers a missing content type with 415', async () => {
    const { calls, invoke } = recording(createThing);
    const response = await invoke(v2Event({ headers: {}, body: '{"name":"lamp"}' }));
    expectProblem(response, 415, 'unsupported-media-type');
    expect(calls).toHaveLength(0);
  });

  it('answers another content type with 415', async () => {
    const { calls, invoke } = recording(createThing);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const response = await invoke(v2Event({ headers: { 'content-type': contentType }, body: '{"name":"lamp"}' }));
      expectProblem(response, 415, 'unsupported-media-type');
    }
    expect(calls).toHaveLength(0);
  });

  it('answers a body over 256 KiB with 413 without calling the handler', async () => {
    const { calls, invoke } = recording(createThing);
    const body = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) });
    expect(Buffer.byteLength(body)).toBeGreaterThan(262_144);
    const response = await invoke(v2Event({ body }));
    expectProblem(response, 413, 'payload-too-large');
    expect(calls).toHaveLength(0);
  });

  it('counts bytes, not characters, against the limit', async () => {
    const { calls, invoke } = recording(createThing);
    // 100 000 characters of three UTF-8 bytes each: 300 000 bytes.
    const response = await invoke(v2Event({ body: JSON.stringify({ name: '证'.repeat(100_000) }) }));
    expectProblem(response, 413, 'payload-too-large');
    expect(calls).toHaveLength(0);
  });

  it('accepts a body of exactly 256 KiB', async () => {
    const { calls, invoke } = recording(createThing);
    const prefix = '{"name":"';
    const suffix = '"}';
    const body = `${prefix}${'x'.repeat(MAX_BODY_BYTES - prefix.length - suffix.length)}${suffix}`;
    expect(Buffer.byteLength(body)).toBe(262_144);
    const response = await invoke(v2Event({ body }));
    expect(response.statusCode).toBe(201);
    expect(calls).toHaveLength(1);
  });

  it('answers a body that fails the schema with 400 and the failing field', async () => {
    const { calls, invoke } = recording(createThing);
    const response = await invoke(v2Event({ body: JSON.stringify({ name: '' }) }));
    expectProblem(response, 400, 'validation');
    const errors = problemOf(response).errors as { path: string; message: string }[];
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('body.name');
    expect(errors[0]!.message).toEqual(expect.any(String));
    expect(errors[0]!.message.length).toBeGreaterThan(0);
    expect(calls).toHaveLength(0);
  });

  it('lists every failing field, with nested paths', async () => {
    const nested = defineRoute({
      ...createThing,
      body: z.object({ name: z.string(), address: z.object({ city: z.string() }) }),
    });
    const { invoke } = recording(nested);
    const response = await invoke(v2Event({ body: JSON.stringify({ name: 7, address: {} }) }));
    expectProblem(response, 400, 'validation');
    const paths = (problemOf(response).errors as { path: string }[]).map((error) => error.path);
    expect(paths.sort()).toEqual(['body.address.city', 'body.name']);
  });
});

describe('httpHandler: form bodies', () => {
  const tokenRoute = defineRoute({
    method: 'POST',
    path: '/token',
    operationId: 'token',
    summary: 'OAuth token endpoint',
    tags: ['test'],
    auth: 'none',
    bodyType: 'form',
    body: z.object({ grant_type: z.literal('client_credentials'), scope: z.optional(z.string()) }),
    responses: { 200: { description: 'token' } },
  });
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

  it('parses an application/x-www-form-urlencoded body', async () => {
    const { calls, invoke } = recording(tokenRoute, json(200, {}));
    const response = await invoke(
      v2Event({ headers: formHeaders, body: 'grant_type=client_credentials&scope=licences%3Aread+audit' }),
    );
    expect(response.statusCode).toBe(200);
    expect(calls[0]!.body).toEqual({ grant_type: 'client_credentials', scope: 'licences:read audit' });
  });

  it('parses a base64-encoded form body', async () => {
    const { calls, invoke } = recording(tokenRoute, json(200, {}));
    const body = Buffer.from('grant_type=client_credentials').toString('base64');
    const response = await invoke(v2Event({ headers: formHeaders, body, isBase64Encoded: true }));
    expect(response.statusCode).toBe(200);
    expect(calls[0]!.body).toEqual({ grant_type: 'client_credentials' });
  });

  it('answers a JSON body on a form route with 415', async () => {
    const { calls, invoke } = recording(tokenRoute);
    const response = await invoke(v2Event({ body: '{"grant_type":"client_credentials"}' }));
    expectProblem(response, 415, 'unsupported-media-type');
    expect(calls).toHaveLength(0);
  });

  it('validates form fields like JSON ones', async () => {
    const { calls, invoke } = recording(tokenRoute);
    const response = await invoke(v2Event({ headers: formHeaders, body: 'grant_type=password' }));
    expectProblem(response, 400, 'validation');
    expect((problemOf(response).errors as { path: string }[])[0]!.path).toBe('body.grant_type');
    expect(calls).toHaveLength(0);
  });
});

describe('httpHandler: path and query parameters', () => {
  const getLicence = defineRoute({
    method: 'GET',
    path: '/licences/{licenceId}',
    operationId: 'getLicence',
    summary: 'One licence',
    tags: ['test'],
    auth: 'none',
    params: z.object({ licenceId: z.string().check(z.regex(/^L[0-9]{4}$/)) }),
    query: z.object({ view: z.optional(z.enum(['full', 'summary'])) }),
    responses: { 200: { description: 'the licence' } },
  });
  const getEvent = (pathParameters: Record<string, string>, queryStringParameters?: Record<string, string>) =>
    v2Event({
      method: 'GET',
      headers: {},
      pathParameters,
      ...(queryStringParameters ? { queryStringParameters } : {}),
    });

  it('hands valid params and query to the handler, and ignores the body of a route without one', async () => {
    const { calls, invoke } = recording(getLicence, json(200, {}));
    const event = { ...getEvent({ licenceId: 'L0001' }, { view: 'full' }), body: 'not json at all' };
    const response = await invoke(event);
    expect(response.statusCode).toBe(200);
    expect(calls[0]!.params).toEqual({ licenceId: 'L0001' });
    expect(calls[0]!.query).toEqual({ view: 'full' });
    expect(calls[0]!.body).toBeUndefined();
  });

  it('treats a missing query string as an empty one', async () => {
    const { calls, invoke } = recording(getLicence, json(200, {}));
    const response = await invoke(getEvent({ licenceId: 'L0001' }));
    expect(response.statusCode).toBe(200);
    expect(calls[0]!.query).toEqual({});
  });

  it('answers an invalid path parameter with 400 naming params.<name>', async () => {
    const { calls, invoke } = recording(getLicence);
    const response = await invoke(getEvent({ licenceId: '../etc/passwd' }));
    expectProblem(response, 400, 'validation');
    expect((problemOf(response).errors as { path: string }[]).map((error) => error.path)).toEqual(['params.licenceId']);
    expect(calls).toHaveLength(0);
  });

  it('answers an invalid query parameter with 400 naming query.<name>', async () => {
    const { calls, invoke } = recording(getLicence);
    const response = await invoke(getEvent({ licenceId: 'L0001' }, { view: 'everything' }));
    expectProblem(response, 400, 'validation');
    expect((problemOf(response).errors as { path: string }[]).map((error) => error.path)).toEqual(['query.view']);
    expect(calls).toHaveLength(0);
  });

  it('passes raw params and query through when the contract has no schema for them', async () => {
    const { calls, invoke } = recording(createThing);
    await invoke(v2Event({ body: '{"name":"a"}', pathParameters: { id: '1' }, queryStringParameters: { q: 'x' } }));
    expect(calls[0]!.params).toEqual({ id: '1' });
    expect(calls[0]!.query).toEqual({ q: 'x' });
  });
});

describe('httpHandler: request id', () => {
  it("echoes a sane caller's x-request-id and hands it to the handler", async () => {
    const { calls, invoke } = recording(createThing);
    const response = await invoke(
      v2Event({ headers: { 'content-type': 'application/json', 'X-Request-Id': 'abc-123' }, body: '{"name":"a"}' }),
    );
    expect(headerOf(response, 'x-request-id')).toBe('abc-123');
    expect(calls[0]!.requestId).toBe('abc-123');
  });

  it.each([
    ['spaces', 'bad id with spaces'],
    ['300 characters', 'a'.repeat(300)],
    ['a header injection attempt', 'abc\r\nset-cookie: x=1'],
    ['markup', '<script>'],
  ])('replaces an x-request-id with %s by the gateway request id', async (_what, given) => {
    const { calls, invoke } = recording(createThing);
    const response = await invoke(
      v2Event({ headers: { 'content-type': 'application/json', 'x-request-id': given }, body: '{"name":"a"}' }),
    );
    expect(headerOf(response, 'x-request-id')).toBe(GATEWAY_REQUEST_ID);
    expect(calls[0]!.requestId).toBe(GATEWAY_REQUEST_ID);
  });

  it('uses the gateway request id when the caller sends none', async () => {
    const { invoke } = recording(createThing);
    const response = await invoke(v2Event({ body: '{"name":"a"}' }));
    expect(headerOf(response, 'x-request-id')).toBe(GATEWAY_REQUEST_ID);
  });

  it('puts the request id on error responses too, header and body alike', async () => {
    const { invoke } = recording(createThing);
    const response = await invoke(
      v2Event({ headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' }, body: '{' }),
    );
    expect(headerOf(response, 'x-request-id')).toBe('abc-123');
    expect(problemOf(response).requestId).toBe('abc-123');
  });
});

describe('httpHandler: security headers', () => {
  it('adds them to a success response, keeping the handler headers', async () => {
    const { invoke } = recording(createThing, json(201, {}, { location: '/things/1' }));
    const response = await invoke(v2Event({ body: '{"name":"a"}' }));
    expect(response.statusCode).toBe(201);
    expectSecurityHeaders(response);
    expect(headerOf(response, 'location')).toBe('/things/1');
    expect(headerOf(response, 'content-type')).toBe('application/json; charset=utf-8');
  });

  it.each([
    ['413', v2Event({ body: 'x'.repeat(MAX_BODY_BYTES + 1) }), 413],
    ['415', v2Event({ headers: {}, body: '{}' }), 415],
    ['400', v2Event({ body: '{' }), 400],
  ])('adds them to a %s problem response', async (_status, event, status) => {
    const { invoke } = recording(createThing);
    const response = await invoke(event);
    expect(response.statusCode).toBe(status);
    expectSecurityHeaders(response);
  });

  it('answers 204 with security headers when the handler returns nothing', async () => {
    const handler = httpHandler(createThing, async () => undefined as unknown as HttpResult);
    const response = (await handler(v2Event({ body: '{"name":"a"}' }), lambdaContext())) as HttpResult;
    expect(response.statusCode).toBe(204);
    expectSecurityHeaders(response);
  });
});

describe('httpHandler: errors thrown by the handler', () => {
  it('turns a plain Error into a 500 problem that keeps the details in the logs only', async () => {
    const secret = 'SELECT * FROM citizens WHERE password=hunter2';
    const handler = httpHandler(createThing, async () => {
      throw new Error(secret);
    });
    const response = (await handler(
      v2Event({ headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' }, body: '{"name":"a"}' }),
      lambdaContext(),
    )) as HttpResult;
    expectProblem(response, 500, 'internal');
    expectSecurityHeaders(response);
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('SELECT');
    expect(response.body).not.toContain('http.test.ts');
    expect(problemOf(response).requestId).toBe('abc-123');
    expect(logger.error).toHaveBeenCalledWith('unhandled error', expect.objectContaining({ message: secret }));
  });

  it('turns a ConflictError into a 409 problem with its detail', async () => {
    const handler = httpHandler(createThing, async () => {
      throw new ConflictError('the thing already exists');
    });
    const response = (await handler(v2Event({ body: '{"name":"a"}' }), lambdaContext())) as HttpResult;
    expectProblem(response, 409, 'conflict');
    expectSecurityHeaders(response);
    expect(problemOf(response)).toMatchObject({ detail: 'the thing already exists', requestId: GATEWAY_REQUEST_ID });
    expect(logger.error).not.toHaveBeenCalled();
  });
});

describe('JWT routes: the revoked-token guard every capability gets', () => {
  const readThing = defineRoute({
    method: 'GET',
    path: '/things/mine',
    operationId: 'readThing',
    summary: 'Read my thing',
    tags: ['test'],
    auth: 'jwt',
    responses: { 200: { description: 'the thing' } },
  });
  const withClaims = (claims?: Record<string, unknown>): APIGatewayProxyEventV2 => {
    const event = v2Event({ method: 'GET', body: undefined });
    return {
      ...event,
      requestContext: { ...event.requestContext, ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}) },
    } as APIGatewayProxyEventV2;
  };
  const guarded = (isRevoked: (jti: string) => Promise<boolean>) => {
    const asked: string[] = [];
    let served = 0;
    const handler = httpHandler(
      readThing,
      async () => {
        served++;
        return json(200, { ok: true });
      },
      {
        isRevoked: async (jti) => {
          asked.push(jti);
          return isRevoked(jti);
        },
      },
    );
    const invoke = (event: APIGatewayProxyEventV2) => handler(event, lambdaContext()) as Promise<HttpResult>;
    return { invoke, asked, served: () => served };
  };

  it('serves a token the deny-list does not name, asking about its jti', async () => {
    const route = guarded(async () => false);
    const response = await route.invoke(withClaims({ jti: 'jti-live', sub: 'a' }));
    expect(response.statusCode).toBe(200);
    expect(route.asked).toEqual(['jti-live']);
  });

  it('refuses a revoked token with 401 and a Bearer challenge, before the handler runs', async () => {
    const route = guarded(async (jti) => jti === 'jti-revoked');
    const response = await route.invoke(withClaims({ jti: 'jti-revoked', sub: 'a' }));
    expectProblem(response, 401, 'unauthorized');
    expect(headerOf(response, 'www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(route.served()).toBe(0);
  });

  it('refuses a request the authorizer did not pass (no claims, or no jti), without asking the deny-list', async () => {
    const route = guarded(async () => false);
    for (const event of [withClaims(), withClaims({ sub: 'a' }), withClaims({ jti: '' })]) {
      expectProblem(await route.invoke(event), 401, 'unauthorized');
    }
    expect(route.asked).toEqual([]);
    expect(route.served()).toBe(0);
  });

  it('answers 503 when the deny-list cannot be read: "cannot tell" is never a pass', async () => {
    const { DependencyUnavailableError } = await import('../../shared/errors.ts');
    const route = guarded(async () => {
      throw new DependencyUnavailableError('dynamodb');
    });
    const response = await route.invoke(withClaims({ jti: 'jti-live' }));
    expectProblem(response, 503, 'dependency-unavailable');
    expect(route.served()).toBe(0);
  });

  it('leaves routes without the authorizer alone', async () => {
    const { invoke, calls } = recording(createThing);
    expect((await invoke(v2Event({ body: '{"name":"a"}' }))).statusCode).toBe(201);
    expect(calls).toHaveLength(1);
  });
});
