import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { platformManifest } from '../../../functions/platform-manifest.ts';
import { allRoutes } from '../../../functions/routes.ts';
import { type RouteContract, routeKey } from '../../../shared/route-contract.ts';
import {
  extraHeaders,
  FUZZ_RUNS,
  FUZZ_TIMEOUT,
  pathSegment,
  REGISTERED_ORIGIN,
  text,
} from '../../support/fuzz/arbitraries.ts';
import { COMMON_ENV, fakes, quietObservability } from '../../support/fuzz/fakes.ts';
import { eventOf, expectAnswer, fuzzRoute, type RouteSpec } from '../../support/fuzz/routes.ts';
import { lambdaContext } from '../../support/identity-in-process.ts';

vi.mock(import('../../../functions/health/store.ts'), () => ({
  awsProbes: () => ({ dynamodb: async () => undefined, sqs: async () => undefined, s3: async () => undefined }),
}));
vi.mock(import('../../../shared/cors-origins.ts'), async (original) => ({
  ...(await original()),
  controlTableOrigins: () => fakes.isRegisteredOrigin,
}));

/**
 * The platform's functions under arbitrary requests: health and the OpenAPI document answer
 * whatever comes with them, and the fallback ($default: unknown paths, other methods, CORS
 * preflights) answers 404, 405, 403 or 204 as problem+json, never a 5xx. None of them writes.
 */
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
const handlers: Record<string, Handler> = {};
const SPECS: Record<string, () => RouteSpec> = {
  'GET /health': () => ({}),
  'GET /openapi.json': () => ({}),
};
const nothing = { state: () => null };
const ENTRIES: Record<string, () => Promise<{ handler: unknown }>> = {
  fallback: () => import('../../../functions/fallback/handler.ts'),
  health: () => import('../../../functions/health/handler.ts'),
  openapi: () => import('../../../functions/openapi/handler.ts'),
};

beforeAll(async () => {
  quietObservability();
  Object.assign(process.env, COMMON_ENV);
  for (const fn of platformManifest.functions) handlers[fn.service] = (await ENTRIES[fn.service]!()).handler as Handler;
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('platform routes under fuzzing', { timeout: FUZZ_TIMEOUT }, () => {
  it('knows the entry of every platform function', () => {
    for (const fn of platformManifest.functions) expect(ENTRIES[fn.service], fn.service).toBeDefined();
  });

  const routed = platformManifest.functions.flatMap((fn) =>
    (fn.routes ?? []).map((route) => [fn.service, route] as const),
  );
  it.each(routed.map(([service, route]) => [routeKey(route), service, route] as const))(
    '%s',
    async (key, service, route) => {
      expect(SPECS[key], `no fuzz spec for ${key}`).toBeDefined();
      await fuzzRoute(route, SPECS[key]!(), (event) => handlers[service]!(event, lambdaContext()), nothing);
    },
  );

  it('$default (fallback): any method on any path, preflights among them', async () => {
    const known = allRoutes.map((route) => route.path.replace(/\{[^}]+\}/g, 'x'));
    const path = fc.oneof(
      fc.constantFrom(...known),
      fc
        .array(pathSegment(fc.oneof(text, fc.constantFrom('licences', 'tickets', 'oauth2', 'health'))), {
          maxLength: 4,
        })
        .map((segments) => `/${segments.join('/')}`),
      text,
    );
    const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'get'), text);
    const fallback = platformManifest.functions.find((fn) => fn.servesDefaultRoute)!;
    const route: RouteContract = {
      method: 'GET',
      path: '/',
      operationId: 'fallback',
      summary: '',
      tags: [],
      auth: 'none',
      responses: {},
    };
    await fc.assert(
      fc.asyncProperty(path, method, extraHeaders, fc.boolean(), async (rawPath, verb, headers, preflight) => {
        const event = eventOf(route, {
          segments: {},
          query: undefined,
          headers: preflight
            ? { ...headers, origin: REGISTERED_ORIGIN, 'access-control-request-method': 'POST' }
            : headers,
          cookies: undefined,
          body: undefined,
          encoding: 'utf8',
          claims: undefined,
        });
        event.routeKey = '$default';
        event.rawPath = rawPath;
        event.requestContext.http.method = verb;
        event.requestContext.http.path = rawPath;
        const answer = await handlers[fallback.service]!(event, lambdaContext());
        expectAnswer(answer, [], `${verb} ${rawPath}`);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
