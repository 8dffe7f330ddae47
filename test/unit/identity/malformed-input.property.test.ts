import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashSecret } from '../../../functions/identity/passwords.ts';
import { logger, metrics } from '../../../shared/observability.ts';
import {
  CONFIDENTIAL,
  identityEvent,
  identityHandler,
  identityStore,
  lambdaContext,
  PUBLIC_CLIENT,
} from '../../support/identity-in-process.ts';

vi.mock(import('../../../functions/identity/store.ts'), () => ({ dynamoIdentityStore: () => identityStore }));
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => async () => undefined,
}));

/**
 * Whatever a caller sends to the identity function (headers, cookies, query, body, in any
 * encoding), the answer is never a 5xx, and a 4xx says what went wrong in the route's own format:
 * problem+json, RFC 6749 JSON on the OAuth endpoints, or an HTML page on the browser pages.
 */

const OAUTH_ROUTES = new Set(['POST /oauth2/token', 'POST /oauth2/revoke', 'POST /oauth2/introspect']);
const PAGE_ROUTES = new Set([
  'GET /oauth2/authorize',
  'POST /oauth2/authorize',
  'GET /oauth2/logout',
  'POST /oauth2/logout',
]);
const ROUTES = [
  'GET /.well-known/openid-configuration',
  'GET /.well-known/jwks.json',
  'POST /identity/accounts',
  ...PAGE_ROUTES,
  ...OAUTH_ROUTES,
  'GET /oauth2/userinfo',
  'GET /no/such/route',
] as const;

// Strings a parser may trip on, mixed with the names and values the identity routes act on.
const tricky = fc.constantFrom(
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%C0%AF',
  '+',
  '=',
  '&',
  ';',
  ':',
  '.',
  '"',
  '\\',
  '\u0000',
  '\ud800',
  '证',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(3000),
);
const known = fc.constantFrom(
  'client_id',
  'client_secret',
  'grant_type',
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'token',
  'token_type_hint',
  'code',
  'code_verifier',
  'code_challenge',
  'code_challenge_method',
  'S256',
  'redirect_uri',
  'response_type',
  'scope',
  'openid',
  'state',
  'nonce',
  'username',
  'password',
  'post_logout_redirect_uri',
  'id_token_hint',
  CONFIDENTIAL.id,
  PUBLIC_CLIENT.id,
  PUBLIC_CLIENT.redirect,
);
const text = fc
  .array(fc.oneof({ arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 2 }, tricky, known), {
    maxLength: 5,
  })
  .map((parts) => parts.join(''));
const pairs = fc.array(fc.tuple(fc.oneof(known, text), fc.oneof(known, text)), { maxLength: 8 });
// What a well-meaning client sends, with some of it replaced: the requests that get past the first checks.
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const authorizeParams = {
  client_id: PUBLIC_CLIENT.id,
  redirect_uri: PUBLIC_CLIENT.redirect,
  response_type: 'code',
  scope: 'openid',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  state: 's',
};
/** The confidential client's parameters; its secret exists once the handler is loaded, so it is read late. */
const tokenParams = () => ({
  grant_type: 'client_credentials',
  client_id: CONFIDENTIAL.id,
  client_secret: CONFIDENTIAL.secret,
  token: 't',
  scope: 'licences:issue',
});
const almost = (base: () => Record<string, string>) =>
  fc
    .constant(null)
    .chain(() =>
      fc
        .tuple(fc.subarray(Object.entries(base()), { minLength: 3 }), pairs)
        .map(([kept, changed]) => [...new Map([...kept, ...changed.slice(0, 2)] as [string, string][])]),
    );

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url');
const authorization = fc.oneof(
  text,
  text.map((credentials) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`),
  text.map((credentials) => `Basic ${credentials}`),
  {
    arbitrary: fc
      .tuple(fc.oneof(known, tricky, text), fc.oneof(tricky, text))
      .map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`),
    weight: 3,
  },
  text.map((token) => `Bearer ${token}`),
  fc
    .tuple(fc.jsonValue(), fc.jsonValue(), text)
    .map(([header, claims, signature]) => `Bearer ${b64url(header)}.${b64url(claims)}.${signature}`),
  fc.constant(null).map(() => `Basic ${Buffer.from(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`).toString('base64')}`),
  fc.constant(`Bearer ${b64url({ alg: 'ES256', kid: 'none' })}.${b64url({ sub: 'x' })}.${'A'.repeat(86)}`),
);
const cookiePair = fc
  .tuple(fc.oneof(fc.constantFrom('dgov_sso', 'dgov_login_csrf'), text), text)
  .map(([name, value]) => `${name}=${value}`);
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/x-www-form-urlencoded', 'application/json'), weight: 6 },
  fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'APPLICATION/JSON; charset=latin1',
    'application/problem+json',
    'text/plain',
    'multipart/form-data; boundary=x',
    '',
  ),
  text,
);
const formOf = (entries: [string, string][], encode: boolean) =>
  encode ? new URLSearchParams(entries).toString() : entries.map(([name, value]) => `${name}=${value}`).join('&');
const body = fc.oneof(
  { arbitrary: almost(tokenParams).map((entries) => formOf(entries, true)), weight: 3 },
  { arbitrary: almost(() => authorizeParams).map((entries) => formOf(entries, true)), weight: 2 },
  pairs.map((entries) => formOf(entries, true)),
  pairs.map((entries) => formOf(entries, false)),
  fc.jsonValue().map((value) => JSON.stringify(value) ?? ''),
  fc.dictionary(fc.oneof(known, text), fc.jsonValue(), { maxKeys: 6 }).map((value) => JSON.stringify(value)),
  fc.constantFrom(
    '{',
    '{"type":"citizen"}',
    '{"type":"__proto__"}',
    `{"type":"citizen","idNumber":1e999,"name":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    '\ufeff{}',
  ),
  text,
);
const headerName = fc.oneof(
  fc.constantFrom('Authorization', 'authorization', 'Content-Type', 'Cookie', 'X-Request-Id', 'Host', 'Content-Length'),
  text,
);
// A login form whose anti-forgery token matches its cookie, so that arbitrary credentials reach sign-in.
const signIn = fc.tuple(text, text, text).map(([username, password, csrf]) => ({
  body: new URLSearchParams({
    username,
    password,
    csrf: csrf || 'c',
    client_id: PUBLIC_CLIENT.id,
    redirect_uri: PUBLIC_CLIENT.redirect,
    response_type: 'code',
  }).toString(),
  cookie: `dgov_login_csrf=${hashSecret(csrf || 'c')}`,
}));

const FORM = 'application/x-www-form-urlencoded';
/** Mostly the media type the route takes, so that most requests get past the 415. */
const contentTypeFor = (route: string) =>
  route === 'POST /identity/accounts'
    ? fc.oneof({ arbitrary: fc.constant('application/json'), weight: 6 }, contentType)
    : OAUTH_ROUTES.has(route) || route === 'POST /oauth2/authorize'
      ? fc.oneof({ arbitrary: fc.constant(FORM), weight: 6 }, contentType)
      : contentType;

const request = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    // fc.option's freq: one in freq is null.
    authorization: fc.option(authorization, { freq: OAUTH_ROUTES.has(route) ? 4 : 2 }),
    contentType: fc.option(contentTypeFor(route), { freq: 10 }),
    requestId: fc.option(text),
    otherHeaders: fc.array(fc.tuple(headerName, text), { maxLength: 3 }),
    cookieHeader: fc.option(fc.array(cookiePair, { maxLength: 4 }).map((items) => items.join('; '))),
    cookies: fc.option(fc.array(fc.oneof(cookiePair, text), { maxLength: 4 })),
    query: fc.option(fc.oneof({ arbitrary: almost(() => authorizeParams), weight: 3 }, pairs)),
    body: fc.option(body, { freq: 10 }),
    base64: fc.constantFrom('no', 'no', 'no', 'no', 'no', 'no', 'encoded', 'garbage'),
    signIn: fc.option(signIn, { freq: 20 }),
  }),
);

type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

function eventOf(generated: Generated) {
  const [method, path] = generated.route.split(' ') as ['GET' | 'POST', string];
  const headers: Record<string, string> = {};
  for (const [name, value] of generated.otherHeaders) headers[name] = value;
  if (generated.authorization !== null) headers.authorization = generated.authorization;
  if (generated.contentType !== null) headers['content-type'] = generated.contentType;
  if (generated.requestId !== null) headers['x-request-id'] = generated.requestId;
  if (generated.cookieHeader !== null) headers.cookie = generated.cookieHeader;
  let bodyText = generated.body ?? undefined;
  let cookies = generated.cookies ?? undefined;
  if (generated.signIn && generated.route === 'POST /oauth2/authorize') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    bodyText = generated.signIn.body;
    cookies = [...(cookies ?? []), generated.signIn.cookie];
  }
  const event = identityEvent({
    method,
    path,
    headers,
    ...(cookies ? { cookies } : {}),
    ...(bodyText !== undefined
      ? { body: generated.base64 === 'encoded' ? Buffer.from(bodyText).toString('base64') : bodyText }
      : {}),
    isBase64Encoded: generated.base64 !== 'no' && bodyText !== undefined,
  });
  // Repeated keys as API Gateway joins them; built so that __proto__ stays a key.
  if (generated.query) {
    const joined = new Map<string, string>();
    for (const [name, value] of generated.query)
      joined.set(name, joined.has(name) ? `${joined.get(name)},${value}` : value);
    event.queryStringParameters = Object.fromEntries(joined);
    event.rawQueryString = generated.query.map(([name, value]) => `${name}=${value}`).join('&');
  }
  return event;
}

function expectRouteFormat(route: string, status: number, headers: Record<string, unknown>, body: string) {
  expect(status, `status ${status}: ${body.slice(0, 300)}`).toBeLessThan(500);
  if (status < 400) return;
  const type = String(headers['content-type'] ?? '');
  if (type === 'application/problem+json') {
    expect(JSON.parse(body)).toMatchObject({ status, type: expect.stringMatching(/^urn:dgov:problem:/) });
  } else if (OAUTH_ROUTES.has(route)) {
    expect(type).toMatch(/^application\/json/);
    expect(JSON.parse(body)).toMatchObject({ error: expect.any(String) });
  } else if (PAGE_ROUTES.has(route)) {
    expect(type).toMatch(/^text\/html/);
    expect(body).toMatch(/^<!doctype html>/i);
  } else {
    expect.fail(`${route} answered ${status} as ${type || 'no content type'}`);
  }
}

beforeAll(() => {
  // Refusals are logged at info; unhandled errors at error (the property fails on those anyway).
  for (const level of ['debug', 'info', 'warn', 'error'] as const)
    vi.spyOn(logger, level).mockImplementation(() => undefined);
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    metrics.clearMetrics();
    return metrics;
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('the identity function on arbitrary input', () => {
  // Sign-ins cost scrypt at N=2^17 (a few hundred ms each, decoy included): allow for a loaded machine.
  it('never answers 5xx, and a 4xx is problem+json, OAuth JSON or an HTML page as the route says', {
    timeout: 120_000,
  }, async () => {
    const handler = await identityHandler();
    await fc.assert(
      fc.asyncProperty(request, async (generated) => {
        const response = await handler(eventOf(generated), lambdaContext());
        expectRouteFormat(generated.route, response.statusCode ?? 200, response.headers ?? {}, response.body ?? '');
      }),
      { numRuns: 1_000 },
    );
  });
});
