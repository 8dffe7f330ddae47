import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hotlineManifest } from '../../../functions/hotline/manifest.ts';
import { routeTicket } from '../../../functions/hotline/use-cases/routing.ts';
import { fileTicket } from '../../../functions/hotline/use-cases/intake.ts';
import { routeKey } from '../../../shared/route-contract.ts';
import { FUZZ_TIMEOUT, mutated, text } from '../../support/fuzz/arbitraries.ts';
import { COMMON_ENV, fakes, quietObservability, REVOKED_JTI } from '../../support/fuzz/fakes.ts';
import { fuzzRoute, type RouteSpec } from '../../support/fuzz/routes.ts';
import { citizen, context, hotlineWorld, newTicket } from '../../support/hotline-world.ts';
import { lambdaContext } from '../../support/identity-in-process.ts';

/**
 * Every hotline route (its API, the Open311 facade, the work-queue pages), in-process on the
 * memory store, under arbitrary requests: never a 5xx; a 4xx is problem+json, Open311's error list
 * or an HTML page; and a refused request changes no ticket and queues nothing.
 */
const ISSUER = 'http://127.0.0.1:3000';
const API_KEY = 'open311-key-0123456789';
const world = hotlineWorld(new Date());
const queued: string[] = [];

vi.mock(import('../../../functions/hotline/dynamodb/tickets.ts'), () => ({ dynamoTicketStore: () => world.tickets }));
vi.mock(import('../../../functions/hotline/dynamodb/api-keys.ts'), () => ({
  identityApiKeys: () => async (key: string) =>
    key === API_KEY ? { clientId: 'open311-app', scopes: ['open311'] } : undefined,
}));
vi.mock(import('../../../functions/hotline/queue.ts'), () => ({
  sqsRoutingQueue: () => ({ send: async (ticketId: string) => void queued.push(ticketId) }),
}));
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => fakes.sendAudit,
}));
vi.mock(import('../../../shared/auth/deny-list.ts'), () => ({ controlTableDenyList: () => fakes.isRevoked }));
vi.mock(import('../../../shared/cors-origins.ts'), async (original) => ({
  ...(await original()),
  controlTableOrigins: () => fakes.isRegisteredOrigin,
}));

// The identity provider the work-queue page signs in with: its JWKS and token endpoint, in memory.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'fuzz-key', alg: 'ES256', use: 'sig' };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const accessToken = (claims: Record<string, unknown>) => {
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'ES256', typ: 'at+jwt', kid: jwk.kid });
  const body = b64({ iss: ISSUER, aud: 'dgov-api', iat: now, exp: now + 600, jti: randomUUID(), ...claims });
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${signature.toString('base64url')}`;
};
const GOOD_CODE = 'good-code';
const fakeIdentity = async (input: string | URL | Request, init?: RequestInit) => {
  const url = String(input);
  if (url === `${ISSUER}/.well-known/jwks.json`) return Response.json({ keys: [jwk] });
  if (url === `${ISSUER}/oauth2/token`) {
    const form = new URLSearchParams(String(init?.body ?? ''));
    return form.get('code') === GOOD_CODE
      ? Response.json({ access_token: accessToken({ sub: 'staff', client_id: 'wq', department: 'dept-housing' }) })
      : Response.json({ error: 'invalid_grant' }, { status: 400 });
  }
  return new Response('not found', { status: 404 });
};

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let handler: Handler;
let ticketIds: string[] = [];

const housing = {
  sub: 'client-housing',
  jti: 'j1',
  scope: 'tickets:act',
  client_id: 'dept-housing-app',
  department: 'dept-housing',
};
const callCentre = {
  sub: 'cc',
  jti: 'j2',
  scope: 'tickets:file tickets:act',
  client_id: 'cc',
  department: 'dept-12345',
};
const channel = { sub: 'wechat-app', jti: 'j3', scope: 'tickets:file', client_id: 'wechat-app' };
const person = { sub: citizen.id, jti: 'j4', scope: 'openid', client_id: 'demo-portal' };
const CLAIMS = [housing, callCentre, channel, person, { ...housing, jti: REVOKED_JTI }];

const ticketId = () => fc.oneof(fc.constantFrom(...ticketIds), fc.constant('20250930-0000000000'), text);
const sessionCookies = fc
  .constant(null)
  .chain(() =>
    fc.tuple(
      fc.constantFrom(
        `dgov_hq_at=${accessToken({ sub: 'staff', client_id: 'wq', department: 'dept-housing' })}`,
        `dgov_hq_at=${accessToken({ sub: 'staff', client_id: 'wq' })}`,
        'dgov_hq_at=x.y.z',
      ),
      fc.constantFrom('dgov_hq_csrf=c1', 'dgov_hq_csrf=', 'dgov_hq_login=s1.v1.wq', 'dgov_hq_login=..'),
    ),
  );

const SPECS: Record<string, () => RouteSpec> = {
  'POST /tickets': () => ({
    claims: CLAIMS,
    body: {
      json: {
        category: 'housing.property',
        description: '楼道灯坏了',
        location: { cityCode: '370200', districtCode: '370202', lat: 36.1, lon: 120.4 },
        contact: { phone: '13912345678', name: '张三' },
        channel: 'app',
        urgency: 'urgent',
      },
    },
  }),
  'GET /tickets/{ticketId}': () => ({ claims: CLAIMS, params: { ticketId: ticketId() } }),
  'POST /tickets/{ticketId}/actions': () => ({
    claims: CLAIMS,
    params: { ticketId: ticketId() },
    body: {
      arbitrary: fc
        .constantFrom(
          { action: 'accept' },
          { action: 'transfer', department: 'dept-transport', reason: '不属本部门' },
          { action: 'extend', days: 3, reason: '需现场核实' },
          { action: 'resolve', reply: '已修复' },
          { action: 'close', rating: 5, comment: '满意' },
          { action: 'reopen', reason: '没修好' },
        )
        .chain((example) =>
          fc.record({
            body: fc.oneof(
              { arbitrary: fc.constant(JSON.stringify(example)), weight: 2 },
              mutated(example).map((value) => JSON.stringify(value) ?? ''),
            ),
            contentType: fc.constant('application/json'),
          }),
        ),
    },
  }),
  'GET /departments/{departmentId}/tickets': () => ({
    claims: CLAIMS,
    params: { departmentId: fc.constantFrom('dept-housing', 'dept-transport', 'dept-12345') },
    query: { status: 'ROUTED', sla: 'ON_TRACK' },
  }),
  'GET /open311/v2/services.json': () => ({ query: { jurisdiction_id: 'shandong' }, errors: ['open311'] }),
  'GET /open311/v2/services/{service_code}': () => ({
    params: { service_code: fc.constantFrom('housing.property.json', 'housing.property', 'nope.json') },
    errors: ['open311'],
  }),
  'POST /open311/v2/requests.json': () => ({
    body: {
      form: {
        api_key: API_KEY,
        service_code: 'housing.property',
        description: '楼道灯坏了',
        phone: '13912345678',
        'attribute[cityCode]': '370200',
        'attribute[districtCode]': '370202',
        lat: '36.1',
        long: '120.4',
      },
    },
    errors: ['open311'],
  }),
  'GET /open311/v2/requests.json': () => ({
    query: {
      api_key: API_KEY,
      service_request_id: '20250930-0000000000',
      status: 'open',
      service_code: 'housing.property',
    },
    errors: ['open311'],
  }),
  'GET /open311/v2/requests/{service_request_id}': () => ({
    params: { service_request_id: fc.constant(null).chain(() => ticketId().map((id) => `${id}.json`)) },
    query: { api_key: API_KEY },
    errors: ['open311'],
  }),
  'GET /hotline/workqueue': () => ({
    query: { client_id: 'dept-housing-wq', message: 'ok' },
    cookies: sessionCookies,
    errors: ['html'],
  }),
  'GET /hotline/workqueue/callback': () => ({
    query: { state: 's1', code: GOOD_CODE },
    cookies: sessionCookies,
    errors: ['html'],
  }),
  'POST /hotline/workqueue/actions': () => ({
    body: {
      arbitrary: fc.constant(null).chain(() =>
        fc.record({
          body: fc
            .record({
              ticketId: ticketId(),
              csrf: fc.constantFrom('c1', '', 'c2'),
              action: fc.constantFrom('accept', 'transfer', 'resolve', 'x'),
              department: fc.constantFrom('dept-transport', '', 'dept-housing'),
              reason: text,
              reply: text,
            })
            .map((form) => new URLSearchParams(form).toString()),
          contentType: fc.constant('application/x-www-form-urlencoded'),
        }),
      ),
    },
    cookies: sessionCookies,
    errors: ['html'],
  }),
};

/** What a refused request must not change: the tickets and the routing queue (denials are audited, on purpose). */
let seeded: [string, unknown][] = [];
const fuzzWorld = {
  state: () => ({ tickets: [...world.tickets.tickets.entries()], claims: [...world.tickets.claims.entries()], queued }),
  reset: () => {
    world.tickets.tickets.clear();
    world.tickets.claims.clear();
    for (const [id, ticket] of seeded) world.tickets.tickets.set(id, structuredClone(ticket) as never);
    queued.length = 0;
    fakes.audited.length = 0;
  },
};

beforeAll(async () => {
  quietObservability();
  vi.stubGlobal('fetch', fakeIdentity);
  Object.assign(process.env, COMMON_ENV, {
    DGOV_HOTLINE_TABLE: 'hotline',
    DGOV_HOTLINE_ROUTING_QUEUE_URL: 'http://127.0.0.1:1/000000000000/routing',
    DGOV_HOTLINE_API_KEY_TABLE: 'identity',
    DGOV_HOTLINE_ISSUER: ISSUER,
  });
  handler = (await import('../../../functions/hotline/handler.ts')).handler as Handler;
  // Tickets in each state a request may find: received, routed to housing, and one resolved.
  const ports = { ...world.ports, queue: world.queue };
  const filed = await Promise.all([0, 1, 2].map(() => fileTicket(newTicket(), citizen, ports, context)));
  ticketIds = filed.map((ticket) => ticket.ticketId);
  await routeTicket(ticketIds[1]!, world.routing);
  await routeTicket(ticketIds[2]!, world.routing);
  seeded = structuredClone([...world.tickets.tickets.entries()]);
});

afterAll(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('hotline routes under fuzzing', () => {
  const routes = hotlineManifest.functions.flatMap((fn) => fn.routes ?? []);
  it.each(routes.map((route) => [routeKey(route), route] as const))(
    '%s',
    async (key, route) => {
      expect(SPECS[key], `no fuzz spec for ${key}`).toBeDefined();
      await fuzzRoute(route, SPECS[key]!(), (event) => handler(event, lambdaContext()), fuzzWorld);
    },
    FUZZ_TIMEOUT,
  );
});
