import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { licencesManifest } from '../../../functions/licences/manifest.ts';
import { routeKey } from '../../../shared/route-contract.ts';
import { FUZZ_TIMEOUT, text } from '../../support/fuzz/arbitraries.ts';
import { fakes, quietObservability } from '../../support/fuzz/fakes.ts';
import { fuzzRoute, type RouteSpec } from '../../support/fuzz/routes.ts';
import { lambdaContext } from '../../support/identity-in-process.ts';
import { citizenId, creditCode, department, licencesWorld, person } from '../../support/licences/world.ts';

vi.mock(import('../../../shared/cors-origins.ts'), async (original) => ({
  ...(await original()),
  controlTableOrigins: () => fakes.isRegisteredOrigin,
}));

/**
 * Every licences route, in-process on the memory store (test/support/licences/world.ts), under
 * arbitrary requests: never a 5xx, a 4xx is problem+json, and a refused request seals, stores,
 * archives and announces nothing.
 */
const world = licencesWorld();
const enterprise = { kind: 'enterprise' as const, id: creditCode() };
const citizen = { kind: 'citizen' as const, id: citizenId() };
const claimsOf = (caller: ReturnType<typeof department>, jti: string) => ({
  sub: caller.sub,
  jti,
  scope: caller.scope ?? '',
  client_id: caller.sub,
  ...(caller.department ? { department: caller.department } : {}),
});
const market = department('dept-market');
const police = department('dept-police');
const reader = department('dept-market', 'openid');
const holder = person(citizen);
const CLAIMS = [claimsOf(market, 'j1'), claimsOf(police, 'j2'), claimsOf(reader, 'j3'), claimsOf(holder, 'j4')];
// UserInfo's answer for the person's token (world.tokens), so that their own reads get past the holder check.
world.tokens.set('tok-person', holder);
const bearer = fc.constantFrom({ authorization: 'Bearer tok-person' }, { authorization: 'Bearer tok-unknown' });

const businessLicence = {
  type: 'business-licence',
  holder: enterprise,
  matterId: 'M-1',
  data: {
    creditCode: enterprise.id,
    enterpriseName: '济南示例科技有限公司',
    legalRepresentative: '张三',
    enterpriseType: '有限责任公司',
    address: '济南市历下区',
    businessScope: '软件开发',
    establishedOn: '2020-01-02',
  },
  validUntil: '2099-01-01T00:00:00Z',
  sealAlg: 'ES256',
};

let licenceIds: string[] = [];
let issued: { document: unknown; seal: unknown } = { document: {}, seal: {} };
const licenceId = () => fc.oneof(fc.constantFrom(...licenceIds), fc.constant('L00000000000000000'), text);

const SPECS: Record<string, () => RouteSpec> = {
  'POST /licences': () => ({ claims: CLAIMS, body: { json: businessLicence } }),
  'GET /licences': () => ({ claims: CLAIMS, headers: bearer }),
  'GET /licences/{licenceId}': () => ({ claims: CLAIMS, headers: bearer, params: { licenceId: licenceId() } }),
  'POST /licences/verify': () => ({
    body: {
      arbitrary: fc
        .oneof(
          fc.constantFrom(...licenceIds).map((id) => ({ licenceId: id })),
          fc.constant(issued),
        )
        .chain((example) =>
          fc.record({
            body: fc.constant(null).chain(() => fc.oneof(fc.constant(JSON.stringify(example)), text)),
            contentType: fc.constant('application/json'),
          }),
        ),
    },
  }),
  'GET /licences/verify': () => ({ query: { id: licenceIds[0]! } }),
  'POST /licences/{licenceId}/revoke': () => ({
    claims: CLAIMS,
    params: { licenceId: licenceId() },
    body: { json: { reason: '吊销' } },
  }),
  'GET /licences/types': () => ({}),
  'GET /licences/{licenceId}/credential': () => ({
    claims: CLAIMS,
    headers: bearer,
    params: { licenceId: licenceId() },
  }),
  'GET /licences/status/{listId}': () => ({ params: { listId: fc.constantFrom('1', '0', 'L1') } }),
  'GET /licences/{licenceId}/qr.png': () => ({ claims: CLAIMS, headers: bearer, params: { licenceId: licenceId() } }),
  'GET /licences/seal-keys': () => ({}),
};

/** What a refused request must not change (denials are audited, on purpose). */
let seeded = { licences: '', matters: '', lists: '', archive: '' };
const snapshot = () => ({
  licences: JSON.stringify([...world.store.licences]),
  matters: JSON.stringify([...world.store.matters]),
  lists: JSON.stringify([...world.store.lists].map(([id, set]) => [id, [...set]])),
  archive: JSON.stringify([...world.archive]),
});
const fuzzWorld = {
  state: () => ({ ...snapshot(), notifications: world.notifications.length }),
  reset: () => {
    const restore = <K, V>(map: Map<K, V>, text: string) => {
      map.clear();
      for (const [key, value] of JSON.parse(text) as [K, V][]) map.set(key, value);
    };
    restore(world.store.licences, seeded.licences);
    restore(world.store.matters, seeded.matters);
    world.store.lists.clear();
    for (const [id, items] of JSON.parse(seeded.lists) as [string, number[]][])
      world.store.lists.set(id, new Set(items));
    restore(world.archive, seeded.archive);
    world.notifications.length = 0;
    world.audits.length = 0;
  },
};

beforeAll(async () => {
  quietObservability();
  const first = await world.call('POST', '/licences', { caller: market, body: businessLicence });
  const second = await world.call('POST', '/licences', {
    caller: police,
    body: {
      type: 'no-criminal-record',
      holder: citizen,
      matterId: 'P-1',
      data: {
        name: '李四',
        idNumber: citizen.id,
        purpose: '就业',
        checkedPeriod: { from: '2010-01-01', to: '2025-01-01' },
      },
    },
  });
  const third = await world.call('POST', '/licences', {
    caller: market,
    body: { ...businessLicence, matterId: 'M-2' },
  });
  await world.call('POST', `/licences/${third.body.licenceId}/revoke`, { caller: market, body: { reason: '吊销' } });
  licenceIds = [first, second, third].map((answer) => answer.body.licenceId as string);
  issued = { document: first.body.document, seal: first.body.seal };
  seeded = snapshot();
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('licences routes under fuzzing', () => {
  const routes = licencesManifest.functions.flatMap((fn) => fn.routes ?? []);
  it.each(routes.map((route) => [routeKey(route), route] as const))(
    '%s',
    async (key, route) => {
      expect(SPECS[key], `no fuzz spec for ${key}`).toBeDefined();
      await fuzzRoute(route, SPECS[key]!(), (event) => world.handler(event, lambdaContext()) as never, fuzzWorld);
    },
    FUZZ_TIMEOUT,
  );
});
