import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { fallbackFor } from '../../functions/fallback/handler.ts';
import { cachedOrigins, requestOrigin } from '../../shared/cors.ts';
import { originsOf } from '../../shared/cors-origins.ts';
import { ConflictError, ForbiddenError, MethodNotAllowedError, NotFoundError } from '../../shared/errors.ts';
import { httpHandler, json, type HttpRequest, type HttpResult } from '../../shared/http.ts';
import { defineRoute } from '../../shared/route-contract.ts';

const PORTAL = 'http://127.0.0.1:8080';
const registered = async (origin: string) => origin === PORTAL;

const event = (method: string, rawPath: string, headers: Record<string, string>) =>
  ({
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers,
    isBase64Encoded: false,
    requestContext: { requestId: 'gw-1', http: { method, path: rawPath, sourceIp: '203.0.113.9' } },
  }) as unknown as APIGatewayProxyEventV2;

const context = () =>
  ({ awsRequestId: 'x', functionName: 'cors-test', getRemainingTimeInMillis: () => 10_000 }) as unknown as Context;

describe('answers from any HTTP function', () => {
  const route = defineRoute({
    method: 'GET',
    path: '/things',
    operationId: 'getThings',
    summary: '',
    tags: [],
    auth: 'none',
    responses: {},
  });
  const ok = httpHandler(route, async () => json(200, { ok: true }), { isRegisteredOrigin: registered });
  const refused = httpHandler(
    route,
    async () => {
      throw new ConflictError('taken');
    },
    { isRegisteredOrigin: registered },
  );
  const call = (handler: typeof ok, headers: Record<string, string>) =>
    handler(event('GET', '/things', headers), context()) as Promise<HttpResult>;

  it('allow a registered origin to read them, errors included, and vary by Origin', async () => {
    for (const handler of [ok, refused]) {
      const answer = await call(handler, { origin: PORTAL });
      expect(answer.headers).toMatchObject({ 'access-control-allow-origin': PORTAL, vary: 'Origin' });
      expect(answer.headers!['access-control-expose-headers']).toContain('x-request-id');
      expect(answer.headers!['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('carry no CORS header for another origin, a malformed one, or none', async () => {
    for (const origin of ['http://127.0.0.1:8081', 'null', `${PORTAL}/callback`, 'javascript:alert(1)', undefined]) {
      const answer = await call(ok, origin === undefined ? {} : { origin });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers!['access-control-allow-origin'], origin).toBeUndefined();
      expect(answer.headers!.vary).toBe('Origin');
    }
  });
});

describe('the CORS preflight (fallback function)', () => {
  const fallback = fallbackFor(registered);
  const request = (method: string, rawPath: string, headers: Record<string, string>) =>
    ({
      body: undefined,
      query: {},
      params: {},
      headers,
      requestId: 'r',
      raw: event(method, rawPath, headers),
    }) satisfies HttpRequest<undefined>;
  const preflight = (path: string, origin: string) =>
    fallback(
      request('OPTIONS', path, { origin, 'access-control-request-method': 'POST' }),
      {} as Context,
    ) as Promise<HttpResult>;

  it('answers a registered origin with 204, its origin, the methods of the path, the headers and a max-age', async () => {
    const answer = await preflight('/oauth2/token', PORTAL);
    expect(answer.statusCode).toBe(204);
    expect(answer.headers).toEqual({
      'access-control-allow-origin': PORTAL,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, x-request-id',
      'access-control-max-age': '600',
    });
    expect((await preflight('/oauth2/userinfo', PORTAL)).headers!['access-control-allow-methods']).toBe('GET, OPTIONS');
  });

  it('refuses an origin no client registered with 403, and an unknown path with 404', async () => {
    await expect(preflight('/oauth2/token', 'https://evil.example')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(preflight('/oauth2/token', 'null')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(preflight('/nowhere', PORTAL)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keeps answering an OPTIONS that is no preflight with 405', async () => {
    await expect(fallback(request('OPTIONS', '/health', {}), {} as Context)).rejects.toBeInstanceOf(
      MethodNotAllowedError,
    );
  });

  it('goes through the envelope with the CORS headers once', async () => {
    const handler = httpHandler(
      defineRoute({
        method: 'GET',
        path: '$default',
        operationId: 'f',
        summary: '',
        tags: [],
        auth: 'none',
        responses: {},
      }),
      fallback,
      { isRegisteredOrigin: registered },
    );
    const answer = (await handler(
      event('OPTIONS', '/oauth2/revoke', { origin: PORTAL, 'access-control-request-method': 'POST' }),
      context(),
    )) as HttpResult;
    expect(answer.statusCode).toBe(204);
    expect(answer.headers).toMatchObject({ 'access-control-allow-origin': PORTAL, vary: 'Origin' });
  });
});

describe('registered origins', () => {
  it('are the origins of the redirect URIs, once each', () => {
    expect(
      originsOf([
        'http://127.0.0.1:8080/callback',
        'http://127.0.0.1:8080/other',
        'https://portal.example.gov.cn/cb?x=1',
        'https://portal.example.gov.cn:443/cb',
      ]),
    ).toEqual(['http://127.0.0.1:8080', 'https://portal.example.gov.cn']);
  });

  it('are read once per origin within the cache time, again after it, and a failed read is not kept', async () => {
    let now = 0;
    let reads = 0;
    let failing = false;
    const check = cachedOrigins(
      async (origin) => {
        reads += 1;
        if (failing) throw new Error('unreachable');
        return origin === PORTAL;
      },
      { ttlMs: 1_000, now: () => now },
    );
    expect(await check(PORTAL)).toBe(true);
    expect(await check(PORTAL)).toBe(true);
    expect(reads).toBe(1);
    now = 1_001;
    failing = true;
    expect(await check(PORTAL)).toBe(false);
    failing = false;
    expect(await check(PORTAL)).toBe(true);
    expect(reads).toBe(3);
  });

  it('take an Origin only in its serialized form', () => {
    expect(requestOrigin({ origin: PORTAL })).toBe(PORTAL);
    expect(requestOrigin({ origin: 'HTTP://127.0.0.1:8080' })).toBeUndefined();
    expect(requestOrigin({ origin: 'https://a.example:443' })).toBeUndefined();
    expect(requestOrigin({ origin: 'null' })).toBeUndefined();
    expect(requestOrigin({})).toBeUndefined();
  });
});
