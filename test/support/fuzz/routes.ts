import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { RouteContract } from '../../../shared/route-contract.ts';
import {
  claimsOf,
  contentTypes,
  cookieList,
  extraHeaders,
  FUZZ_RUNS,
  formBody,
  jsonBody,
  pathSegment,
  queryOf,
  text,
} from './arbitraries.ts';

/**
 * One route under fuzzing: what a valid request looks like (so that most runs get past the first
 * checks), and which 4xx formats the route may answer besides problem+json.
 */
export interface RouteSpec {
  /** Plausible values per path parameter (known ids among them). */
  params?: Record<string, fc.Arbitrary<string>>;
  /** A valid query, to be broken. */
  query?: Record<string, string>;
  /** The body: a JSON or form example to be broken, or the route's own arbitrary. */
  body?:
    | { json: unknown }
    | { form: Record<string, string> }
    | { arbitrary: fc.Arbitrary<{ body: string; contentType?: string; headers?: Record<string, string> }> };
  /** Claims of callers the route serves (what the JWT authorizer passes on); broken copies are tried too. */
  claims?: Record<string, string>[];
  /** Headers the route reads (a bearer token it forwards, say), valid ones among them. */
  headers?: fc.Arbitrary<Record<string, string>>;
  /** Cookies the route reads, valid ones among them. */
  cookies?: fc.Arbitrary<string[]>;
  /** The route's own 4xx formats: OAuth JSON, an HTML page, Open311's list, a channel's plain text. */
  errors?: ErrorFormat[];
}

export type ErrorFormat = 'oauth' | 'html' | 'open311' | 'text';

export interface FuzzRequest {
  segments: Record<string, string>;
  query: Record<string, string> | undefined;
  headers: Record<string, string>;
  cookies: string[] | undefined;
  body: string | undefined;
  encoding: 'utf8' | 'base64' | 'garbage';
  claims: Record<string, string> | undefined;
}

const HUGE = 'x'.repeat(300 * 1024);

function bodyOf(route: RouteContract, spec: RouteSpec) {
  const given = spec.body;
  if (given && 'arbitrary' in given) return given.arbitrary;
  const usual =
    route.bodyType === 'form' || (given && 'form' in given) ? 'application/x-www-form-urlencoded' : 'application/json';
  const texts = given && 'form' in given ? formBody(given.form) : jsonBody(given && 'json' in given ? given.json : {});
  return fc.record({
    body: fc.oneof({ arbitrary: texts, weight: 30 }, fc.constant(HUGE)),
    contentType: contentTypes(usual),
  });
}

export function requestArbitrary(route: RouteContract, spec: RouteSpec): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/\{([^}+]+)\+?\}/g)].map((match) => match[1]!);
  const segments = fc.record(
    Object.fromEntries(names.map((name) => [name, pathSegment(spec.params?.[name] ?? text)])),
  ) as fc.Arbitrary<Record<string, string>>;
  const hasBody = route.method !== 'GET';
  return fc
    .record({
      segments,
      query: queryOf(spec.query),
      extra: spec.headers
        ? fc.tuple(extraHeaders, fc.option(spec.headers, { freq: 4 })).map(([extra, own]) => ({ ...extra, ...own }))
        : extraHeaders,
      cookies: fc.option(spec.cookies ? fc.oneof({ arbitrary: spec.cookies, weight: 3 }, cookieList) : cookieList, {
        freq: 3,
      }),
      body: hasBody ? fc.option(bodyOf(route, spec), { freq: 12 }) : fc.constant(null),
      encoding: fc.constantFrom<FuzzRequest['encoding']>('utf8', 'utf8', 'utf8', 'utf8', 'utf8', 'base64', 'garbage'),
      claims: route.auth === 'jwt' ? claimsOf(spec.claims ?? []) : fc.constant(undefined),
    })
    .map(({ segments, query, extra, cookies, body, encoding, claims }) => ({
      segments,
      query,
      headers: {
        ...extra,
        ...(body?.contentType !== undefined ? { 'content-type': body.contentType } : {}),
        ...(body && 'headers' in body ? body.headers : {}),
      },
      cookies: cookies ?? undefined,
      body: body?.body,
      encoding,
      claims: claims as Record<string, string> | undefined,
    }));
}

const decoded = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** The v2 event API Gateway would send for the request: route key matched, authorizer claims on it. */
export function eventOf(route: RouteContract, request: FuzzRequest): APIGatewayProxyEventV2 {
  const routeKey = `${route.method} ${route.path}`;
  const rawPath = route.path.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => request.segments[name] ?? '');
  const pathParameters = Object.fromEntries(
    Object.entries(request.segments).map(([name, segment]) => [name, decoded(segment)]),
  );
  const body =
    request.body === undefined
      ? undefined
      : request.encoding === 'base64'
        ? Buffer.from(request.body).toString('base64')
        : request.body;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: request.query
      ? Object.entries(request.query)
          .map(([name, value]) => `${name}=${value}`)
          .join('&')
      : '',
    headers: request.headers,
    ...(request.cookies ? { cookies: request.cookies } : {}),
    ...(request.query ? { queryStringParameters: request.query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method: route.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'fuzz' },
      requestId: 'gateway-request-id',
      routeKey,
      stage: '$default',
      time: '30/Nov/2026:00:00:00 +0000',
      timeEpoch: 1_795_996_800_000,
      ...(request.claims ? { authorizer: { jwt: { claims: request.claims, scopes: [] } } } : {}),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: body !== undefined && request.encoding !== 'utf8',
  };
}

/** Never a 5xx; a 4xx is problem+json, or one of the route's own error formats. */
export function expectAnswer(
  answer: APIGatewayProxyStructuredResultV2,
  formats: readonly ErrorFormat[] = [],
  where = '',
): void {
  const status = answer.statusCode ?? 200;
  const body = answer.body ?? '';
  expect(status, `${where} answered ${status}: ${body.slice(0, 300)}`).toBeLessThan(500);
  if (status < 400) return;
  const type = String(answer.headers?.['content-type'] ?? '');
  if (type === 'application/problem+json') {
    expect(JSON.parse(body), where).toMatchObject({ status, type: expect.stringMatching(/^urn:dgov:problem:/) });
    return;
  }
  if (formats.includes('oauth') && /^application\/json/.test(type) && /"error"/.test(body)) {
    expect(JSON.parse(body), where).toMatchObject({ error: expect.any(String) });
    return;
  }
  if (formats.includes('open311') && /^application\/json/.test(type)) {
    const errors = JSON.parse(body) as unknown;
    expect(errors, where).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: status, description: expect.any(String) })]),
    );
    return;
  }
  if (formats.includes('html') && /^text\/html/.test(type)) {
    expect(body, where).toMatch(/^<!doctype html>/i);
    return;
  }
  if (formats.includes('text') && /^text\/plain/.test(type)) return;
  expect.fail(`${where} answered ${status} as ${type || 'no content type'}: ${body.slice(0, 200)}`);
}

export interface World {
  /** What a refused request must leave as it was (JSON-comparable). */
  state(): unknown;
  /** Puts the stores back as seeded, so that each run starts alike and the state stays small to compare. */
  reset?(): void;
}

/**
 * Runs the property over one route: every answer per expectAnswer, and a refused request (4xx)
 * leaves the world's state as it was.
 */
export async function fuzzRoute(
  route: RouteContract,
  spec: RouteSpec,
  call: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
  world: World,
  runs = FUZZ_RUNS,
): Promise<void> {
  const state = () => world.state();
  const where = `${route.method} ${route.path}`;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requestArbitrary(route, spec), async (request) => {
      world.reset?.();
      const before = JSON.stringify(state());
      const answer = await call(eventOf(route, request));
      statuses.set(answer.statusCode ?? 200, (statuses.get(answer.statusCode ?? 200) ?? 0) + 1);
      expectAnswer(answer, spec.errors, where);
      if ((answer.statusCode ?? 200) >= 400)
        expect(JSON.stringify(state()), `${where}: a refused request wrote`).toBe(before);
    }),
    { numRuns: runs },
  );
  // DGOV_FUZZ_STATS=1 shows how far the runs got (how many were answered with each status).
  if (process.env.DGOV_FUZZ_STATS) console.info(where, Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
}
