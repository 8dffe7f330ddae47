import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { identityManifest } from '../../../functions/identity/manifest.ts';
import { hashSecret } from '../../../functions/identity/passwords.ts';
import { routeKey } from '../../../shared/route-contract.ts';
import { FUZZ_TIMEOUT, text } from '../../support/fuzz/arbitraries.ts';
import { fakes, quietObservability } from '../../support/fuzz/fakes.ts';
import { eventOf, fuzzRoute, type RouteSpec } from '../../support/fuzz/routes.ts';
import {
  CONFIDENTIAL,
  identityHandler,
  identityStore,
  lambdaContext,
  PUBLIC_CLIENT,
} from '../../support/identity-in-process.ts';

vi.mock(import('../../../functions/identity/store.ts'), () => ({ dynamoIdentityStore: () => identityStore }));
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => fakes.sendAudit,
}));
vi.mock(import('../../../shared/cors-origins.ts'), async (original) => ({
  ...(await original()),
  controlTableOrigins: () => fakes.isRegisteredOrigin,
}));
// scrypt at N=2^17 costs a few hundred ms a sign-in; the fuzz is about input, so hashes here are made
// at N=2^10 (verifyPassword reads the cost from the hash) and are never upgraded.
vi.mock(import('../../../functions/identity/passwords.ts'), async (original) => {
  const real = await original();
  const cheap = { N: 2 ** 10, r: 8, p: 1 };
  return {
    ...real,
    hashPassword: (password: string) => real.hashPassword(password, cheap),
    needsRehash: () => false,
    decoyHash: real.hashPassword('decoy password', cheap),
  };
});

/**
 * Every identity route, in-process on the memory store, under arbitrary requests: never a 5xx; a
 * 4xx is problem+json, RFC 6749 JSON on the OAuth endpoints or an HTML page on the browser pages;
 * and a refused request changes no account, client, session, code or token (the login-attempt and
 * rate counters are written on refusals, on purpose).
 */
type Handler = Awaited<ReturnType<typeof identityHandler>>;
let handler: Handler;

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const ACCOUNT = {
  type: 'citizen',
  idNumber: '11010519491231002X',
  name: '张三',
  phone: '13912345678',
  password: 'correct horse battery',
};
const FORM = 'application/x-www-form-urlencoded';
const authorizeParams = {
  client_id: PUBLIC_CLIENT.id,
  redirect_uri: PUBLIC_CLIENT.redirect,
  response_type: 'code',
  scope: 'openid',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  state: 's',
  nonce: 'n',
};
const live = { sso: '', accessToken: '', refreshToken: '', idToken: '', code: '' };

const sessionCookies = fc
  .constant(null)
  .chain(() =>
    fc.subarray([`dgov_sso=${live.sso}`, `dgov_login_csrf=${hashSecret('c')}`, 'dgov_sso=x', 'dgov_login_csrf=y']),
  );
const basic = () => `Basic ${Buffer.from(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`).toString('base64')}`;
const clientAuth = fc
  .constant(null)
  .chain(() =>
    fc.constantFrom<Record<string, string>>({ authorization: basic() }, { authorization: 'Basic eDp5' }, {}),
  );
const bearer = fc
  .constant(null)
  .chain(() =>
    fc.constantFrom({ authorization: `Bearer ${live.accessToken}` }, { authorization: `Bearer ${live.idToken}` }),
  );
const tokenForm = () =>
  fc.constantFrom<Record<string, string>>(
    { grant_type: 'client_credentials', scope: 'licences:issue' },
    {
      grant_type: 'authorization_code',
      code: live.code,
      code_verifier: VERIFIER,
      redirect_uri: PUBLIC_CLIENT.redirect,
      client_id: PUBLIC_CLIENT.id,
    },
    { grant_type: 'refresh_token', refresh_token: live.refreshToken, client_id: PUBLIC_CLIENT.id },
  );
const formOf = (example: fc.Arbitrary<Record<string, string>>) =>
  example.chain((fields) =>
    fc.record({
      body: fc.oneof(
        { arbitrary: fc.constant(new URLSearchParams(fields).toString()), weight: 3 },
        fc
          .tuple(fc.constantFrom(...Object.keys(fields)), text)
          .map(([name, value]) => new URLSearchParams({ ...fields, [name]: value }).toString()),
        text,
      ),
      contentType: fc.constantFrom(FORM, FORM, FORM, 'application/json', 'text/plain'),
    }),
  );

const OAUTH = ['oauth'] as const;
const PAGE = ['html'] as const;
const SPECS: Record<string, () => RouteSpec> = {
  'GET /.well-known/openid-configuration': () => ({}),
  'GET /.well-known/jwks.json': () => ({}),
  'POST /identity/accounts': () => ({ body: { json: ACCOUNT } }),
  'GET /oauth2/authorize': () => ({ query: authorizeParams, cookies: sessionCookies, errors: [...PAGE] }),
  'POST /oauth2/authorize': () => ({
    body: {
      arbitrary: formOf(
        fc.constantFrom(
          { ...authorizeParams, username: ACCOUNT.idNumber, password: ACCOUNT.password, csrf: 'c' },
          { ...authorizeParams, username: ACCOUNT.idNumber, password: 'wrong password!', csrf: 'c' },
          { ...authorizeParams, username: '11010519800101001X', password: 'x', csrf: 'c' },
        ),
      ),
    },
    cookies: sessionCookies,
    errors: [...PAGE],
  }),
  'POST /oauth2/token': () => ({
    headers: clientAuth,
    body: { arbitrary: formOf(fc.constant(null).chain(tokenForm)) },
    errors: [...OAUTH],
  }),
  'POST /oauth2/revoke': () => ({
    headers: clientAuth,
    body: {
      arbitrary: formOf(
        fc
          .constant(null)
          .chain(() =>
            fc.constantFrom<Record<string, string>>(
              { token: live.refreshToken, token_type_hint: 'refresh_token', client_id: PUBLIC_CLIENT.id },
              { token: live.accessToken, token_type_hint: 'access_token' },
            ),
          ),
      ),
    },
    errors: [...OAUTH],
  }),
  'POST /oauth2/introspect': () => ({
    headers: clientAuth,
    body: {
      arbitrary: formOf(
        fc.constant(null).chain(() => fc.constantFrom({ token: live.accessToken }, { token: live.refreshToken })),
      ),
    },
    errors: [...OAUTH],
  }),
  'GET /oauth2/userinfo': () => ({ headers: bearer, errors: [...OAUTH] }),
  'GET /oauth2/logout': () => ({
    query: { client_id: PUBLIC_CLIENT.id, post_logout_redirect_uri: PUBLIC_CLIENT.redirect, state: 's' },
    cookies: sessionCookies,
    errors: [...PAGE],
  }),
  'POST /oauth2/logout': () => ({
    body: { form: { client_id: PUBLIC_CLIENT.id, post_logout_redirect_uri: PUBLIC_CLIENT.redirect, csrf: 'c' } },
    cookies: sessionCookies,
    errors: [...PAGE],
  }),
};

// The store's maps, by name: what a refused request must leave alone, and all of them restored before each run.
const maps = () =>
  Object.entries(identityStore).filter((entry): entry is [string, Map<unknown, unknown>] => entry[1] instanceof Map);
const COUNTERS = new Set(['attempts', 'hits', 'purgeTimes']);
let seeded: [string, [unknown, unknown][]][] = [];
const fuzzWorld = {
  state: () => maps().flatMap(([name, map]) => (COUNTERS.has(name) ? [] : [[name, [...map]]])),
  reset: () => {
    for (const [name, entries] of seeded) {
      const map = (identityStore as unknown as Record<string, Map<unknown, unknown>>)[name]!;
      map.clear();
      for (const [key, value] of entries) map.set(key, structuredClone(value));
    }
  },
};

const request = async (
  method: 'GET' | 'POST',
  path: string,
  parts: {
    query?: Record<string, string>;
    form?: Record<string, string>;
    json?: unknown;
    cookies?: string[];
    authorization?: string;
  } = {},
) => {
  const route = identityManifest.functions[0]!.routes!.find((item) => item.method === method && item.path === path)!;
  const body = parts.form
    ? new URLSearchParams(parts.form).toString()
    : parts.json
      ? JSON.stringify(parts.json)
      : undefined;
  const event = eventOf(route, {
    segments: {},
    query: parts.query,
    headers: {
      ...(parts.form ? { 'content-type': FORM } : parts.json ? { 'content-type': 'application/json' } : {}),
      ...(parts.authorization ? { authorization: parts.authorization } : {}),
    },
    cookies: parts.cookies,
    body,
    encoding: 'utf8',
    claims: undefined,
  });
  return handler(event, lambdaContext());
};

beforeAll(async () => {
  quietObservability();
  handler = await identityHandler();
  // An account, its SSO session, a code, and tokens: the values the fuzz mixes into its requests.
  expect((await request('POST', '/identity/accounts', { json: ACCOUNT })).statusCode).toBe(201);
  const signIn = await request('POST', '/oauth2/authorize', {
    form: { ...authorizeParams, username: ACCOUNT.idNumber, password: ACCOUNT.password, csrf: 'c' },
    cookies: [`dgov_login_csrf=${hashSecret('c')}`],
  });
  live.sso = /dgov_sso=([^;]+)/.exec((signIn.cookies ?? []).join('\n'))?.[1] ?? '';
  const codeOf = (answer: Awaited<ReturnType<Handler>>) =>
    new URL(String(answer.headers?.location)).searchParams.get('code') ?? '';
  const tokens = JSON.parse(
    (
      await request('POST', '/oauth2/token', {
        form: {
          grant_type: 'authorization_code',
          code: codeOf(signIn),
          code_verifier: VERIFIER,
          redirect_uri: PUBLIC_CLIENT.redirect,
          client_id: PUBLIC_CLIENT.id,
        },
      })
    ).body ?? '{}',
  );
  Object.assign(live, {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    idToken: tokens.id_token,
  });
  live.code = codeOf(
    await request('GET', '/oauth2/authorize', { query: authorizeParams, cookies: [`dgov_sso=${live.sso}`] }),
  );
  expect(live.sso && live.accessToken && live.refreshToken && live.code).toBeTruthy();
  seeded = structuredClone(maps().map(([name, map]) => [name, [...map]] as [string, [unknown, unknown][]]));
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('identity routes under fuzzing', () => {
  const routes = identityManifest.functions.flatMap((fn) => fn.routes ?? []);
  it.each(routes.map((route) => [routeKey(route), route] as const))(
    '%s',
    async (key, route) => {
      expect(SPECS[key], `no fuzz spec for ${key}`).toBeDefined();
      await fuzzRoute(route, SPECS[key]!(), (event) => handler(event, lambdaContext()), fuzzWorld);
    },
    FUZZ_TIMEOUT,
  );
});

describe('regressions the fuzz found', () => {
  it('a sign-in with the right password for an authorization request that is refused (no client_id) starts no session', async () => {
    fuzzWorld.reset();
    const sessions = (identityStore as unknown as { sessions: Map<string, unknown> }).sessions;
    const before = sessions.size;
    const answer = await request('POST', '/oauth2/authorize', {
      form: { ...authorizeParams, client_id: '', username: ACCOUNT.idNumber, password: ACCOUNT.password, csrf: 'c' },
      cookies: [`dgov_login_csrf=${hashSecret('c')}`],
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers?.['content-type']).toMatch(/^text\/html/);
    expect((answer.cookies ?? []).some((item) => item.startsWith('dgov_sso='))).toBe(false);
    expect(sessions.size).toBe(before);
  });
});
