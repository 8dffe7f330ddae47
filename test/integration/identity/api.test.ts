import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient } from '../../../cli/identity/clients.ts';
import { IDENTITY_ENV } from '../../../functions/identity/env.ts';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { queryEvents } from '../../../cli/audit/query.ts';
import { signJwt } from '../../../shared/auth/jwt.ts';
import { fileSigner } from '../../../shared/crypto/signer.ts';
import { s3TrailReader } from '../../../functions/audit/store.ts';
import { buildApp } from '../../../infra/app.ts';
import { localAppContext } from '../../../local/keys.ts';
import { startRuntime, type LocalRuntime } from '../../../local/runtime.ts';
import { synthStacks } from '../../../local/synth.ts';
import { chromiumPath } from '../../support/chromium.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { freePort } from '../../../local/ports.ts';
import {
  basic,
  claimsOf,
  CookieJar,
  creditCodeCheckChar,
  formFields,
  idNumberCheckDigit,
  pkce,
} from '../../support/oidc.ts';

const dir = scratchDir('identity');
let runtime: LocalRuntime;
let api: string;
let departmentSecret: string;

// The clients' redirect URIs point at a small server of the test's own, which records where the browser lands.
const landed: string[] = [];
const callbacks = createServer((request, response) => {
  if (!request.url?.startsWith('/favicon')) landed.push(`http://127.0.0.1${request.url}`);
  response.end('signed in');
});
const PORTAL = { id: 'portal', redirect: '' };
const APP = { id: 'mobile-app', redirect: '' };
const citizenId = (n: number) => {
  const first17 = `37010219900115${String(n).padStart(3, '0')}`;
  return first17 + idNumberCheckDigit(first17);
};
const creditCode = (n: number) => {
  const first17 = `91370100MA${String(n).padStart(7, '0')}`;
  return first17 + creditCodeCheckChar(first17);
};
const PASSWORD = 'Correct-Horse-Battery-9';
const alice = citizenId(1);

beforeAll(async () => {
  const port = await freePort();
  await new Promise<void>((resolve) => callbacks.listen(port, '127.0.0.1', resolve));
  PORTAL.redirect = `http://127.0.0.1:${port}/portal/callback`;
  APP.redirect = `http://127.0.0.1:${port}/app/cb`;
  runtime = await startRuntime({
    // A higher per-source login limit than the default 20, so the lockout test is not cut short by it.
    synth: () =>
      synthStacks((props) => buildApp(props).app, join(dir, 'cdk.out'), {
        ...localAppContext(dir),
        loginAttemptsPerMinute: '50',
      }),
    port: 0,
    dataDir: dir,
    dynamodbPort: 0,
    servicesPort: 0,
    aws: inject('aws'),
    // This file registers and signs in dozens of times: scrypt at N=2^10 instead of 2^17 saves about
    // 12 s of CPU (43 s to 31 s for the file). The flows are the same at any cost (the stored hash
    // names its own); the deployed cost is asserted in test/infra/identity/identity.test.ts and
    // test/infra/prod.test.ts, and used by the handler in
    // test/unit/identity/logout-and-client-audit.in-process.test.ts and by `npm start` in test/e2e/identity/.
    functionEnvironment: { identity: { [IDENTITY_ENV.passwordScryptN]: String(2 ** 10) } },
  });
  api = runtime.url;
  const store = dynamoIdentityStore(DynamoDBDocumentClient.from(runtime.clients.dynamodb), {
    identity: runtime.environment.tables.identityTable!,
    control: runtime.environment.tables.controlTable!,
  });
  await createClient(
    {
      clientId: PORTAL.id,
      kind: 'public',
      scopes: ['openid', 'profile', 'offline_access'],
      redirectUris: [PORTAL.redirect],
    },
    store,
  );
  await createClient(
    { clientId: APP.id, kind: 'public', scopes: ['openid', 'profile'], redirectUris: [APP.redirect] },
    store,
  );
  departmentSecret = (
    await createClient(
      {
        clientId: 'dept-market',
        kind: 'confidential',
        scopes: ['licences:issue', 'payments:orders'],
        redirectUris: [],
        department: 'dept-market',
      },
      store,
    )
  ).client_secret!;
  const created = await post('/identity/accounts', {
    type: 'citizen',
    idNumber: alice,
    name: '李华',
    phone: '13812345678',
    password: PASSWORD,
  });
  expect(created.status).toBe(201);
  expect((await store.accountByIdentifier(alice))?.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$/);
});

afterAll(async () => {
  callbacks.close();
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${api}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    /* HTML or empty */
  }
  return { status: response.status, body, text, headers: response.headers, response };
}

const authorizeUrl = (
  client: { id: string; redirect: string },
  challenge: string,
  extra: Record<string, string> = {},
) =>
  `${api}/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: client.redirect, scope: 'openid profile offline_access', state: randomUUID(), nonce: randomUUID(), code_challenge: challenge, code_challenge_method: 'S256', ...extra })}`;

/** The browser's part of the code flow: the login page if there is no SSO session, then the redirect. */
async function signIn(
  client: { id: string; redirect: string },
  jar: CookieJar,
  credentials?: { username: string; password: string },
) {
  const { verifier, challenge } = pkce();
  const first = await fetch(authorizeUrl(client, challenge, client === APP ? { scope: 'openid profile' } : {}), {
    redirect: 'manual',
    headers: { cookie: jar.header() },
  });
  jar.store(first);
  let location = first.headers.get('location');
  let loginShown = false;
  if (first.status === 200) {
    loginShown = true;
    if (!credentials) throw new Error('the login page was shown but no credentials were given');
    const fields = formFields(await first.text());
    const submitted = await form('/oauth2/authorize', { ...fields, ...credentials }, { cookie: jar.header() });
    jar.store(submitted.response);
    if (submitted.status !== 302) return { loginShown, status: submitted.status, text: submitted.text };
    location = submitted.headers.get('location');
  }
  const redirected = new URL(location!);
  return {
    loginShown,
    status: 302,
    code: redirected.searchParams.get('code')!,
    state: redirected.searchParams.get('state'),
    redirected,
    verifier,
  };
}

async function exchange(client: { id: string; redirect: string }, code: string, verifier: string) {
  return form('/oauth2/token', {
    grant_type: 'authorization_code',
    client_id: client.id,
    code,
    redirect_uri: client.redirect,
    code_verifier: verifier,
  });
}

async function tokensFor(client: { id: string; redirect: string }, jar = new CookieJar()) {
  const signed = await signIn(client, jar, { username: alice, password: PASSWORD });
  const tokens = await exchange(client, signed.code!, signed.verifier!);
  expect(tokens.status).toBe(200);
  return tokens.body as {
    access_token: string;
    refresh_token: string;
    id_token: string;
    scope: string;
    expires_in: number;
  };
}

const introspect = (token: string) =>
  form('/oauth2/introspect', { token }, { authorization: basic('dept-market', departmentSecret) });
const userinfo = (token: string) => fetch(`${api}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });

describe('discovery and keys', () => {
  it('publishes the OpenID configuration with PKCE S256 only', async () => {
    const config = (await (await fetch(`${api}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      issuer: api,
      jwks_uri: `${api}/.well-known/jwks.json`,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    });
    for (const endpoint of [
      'authorization_endpoint',
      'token_endpoint',
      'revocation_endpoint',
      'introspection_endpoint',
      'userinfo_endpoint',
      'end_session_endpoint',
    ])
      expect(config[endpoint], endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('is trusted by an independent OIDC library, which verifies our ID and access tokens through jwks_uri', async () => {
    const configuration = await oidc.discovery(new URL(api), PORTAL.id, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    expect(configuration.serverMetadata().issuer).toBe(api);
    const tokens = await tokensFor(PORTAL);
    const keys = jose.createRemoteJWKSet(new URL(configuration.serverMetadata().jwks_uri!));
    const id = await jose.jwtVerify(tokens.id_token, keys, { issuer: api, audience: PORTAL.id, algorithms: ['ES256'] });
    expect(id.payload.sub).toMatch(/^acc-/);
    const access = await jose.jwtVerify(tokens.access_token, keys, {
      issuer: api,
      audience: 'dgov-api',
      algorithms: ['ES256'],
    });
    expect(access.payload).toMatchObject({ client_id: PORTAL.id, sub: id.payload.sub });
    expect(access.payload.exp! - access.payload.iat!).toBeLessThanOrEqual(15 * 60);
  });
});

describe('accounts', () => {
  it('refuses a second account for the same ID number with 409', async () => {
    const other = {
      type: 'citizen',
      idNumber: alice,
      name: '王芳',
      phone: '13900001111',
      password: 'Another-Passw0rd-2',
    };
    expect((await post('/identity/accounts', other)).status).toBe(409);
  });

  // The client that sent the registration in beforeAll, retrying after a lost answer: told it was made.
  it('answers a retry of a registration that was made with a 409 that names the account', async () => {
    const again = await post('/identity/accounts', {
      type: 'citizen',
      idNumber: alice,
      name: '李华',
      phone: '13812345678',
      password: PASSWORD,
    });
    expect(again.status).toBe(409);
    expect(again.body.accountId).toMatch(/^acc-/);
    expect(again.body.detail).toMatch(/already made/);
  });

  it('registers an enterprise by its unified social credit code', async () => {
    const created = await post('/identity/accounts', {
      type: 'enterprise',
      creditCode: creditCode(7),
      name: '济南某某科技有限公司',
      operatorIdNumber: citizenId(2),
      password: PASSWORD,
    });
    expect(created.status).toBe(201);
  });

  it.each([
    ['a bad ID check digit', { idNumber: `${alice.slice(0, 17)}${alice[17] === '0' ? '1' : '0'}` }, 'body.idNumber'],
    ['a short password', { password: 'short' }, 'body.password'],
    [
      'a password that contains the ID number',
      { password: `pw-${citizenId(3)}`, idNumber: citizenId(3) },
      'body.password',
    ],
    ['a phone that is not a mobile', { phone: '0531-1234567' }, 'body.phone'],
  ])('refuses %s with 400 naming the field', async (_name, change, path) => {
    const answer = await post('/identity/accounts', {
      type: 'citizen',
      idNumber: citizenId(4),
      name: '王五',
      phone: '13912345678',
      password: PASSWORD,
      ...change,
    });
    expect(answer.status).toBe(400);
    expect((answer.body.errors as { path: string }[]).map((error) => error.path)).toContain(path);
  });
});

describe('one sign-on for the province', () => {
  it('signs in once for the portal and gives the app its code without a password', async () => {
    const jar = new CookieJar();
    const portal = await signIn(PORTAL, jar, { username: alice, password: PASSWORD });
    expect(portal.loginShown).toBe(true);
    expect(jar.has('dgov_sso')).toBe(true);
    const app = await signIn(APP, jar);
    expect(app.loginShown).toBe(false);
    const tokens = await exchange(APP, app.code!, app.verifier!);
    expect(tokens.status).toBe(200);
    expect(claimsOf(tokens.body.id_token as string)).toMatchObject({ aud: APP.id, iss: api });
    expect(claimsOf(tokens.body.id_token as string).sub).toBe(
      claimsOf((await exchange(PORTAL, portal.code!, portal.verifier!)).body.id_token as string).sub,
    );
  });

  it('sets the SSO cookie HttpOnly and SameSite=Lax', async () => {
    const { challenge } = pkce();
    const page = await fetch(authorizeUrl(PORTAL, challenge));
    const fields = formFields(await page.text());
    const jar = new CookieJar();
    jar.store(page);
    const submitted = await form(
      '/oauth2/authorize',
      { ...fields, username: alice, password: PASSWORD },
      { cookie: jar.header() },
    );
    const sso = submitted.headers.getSetCookie().find((line) => line.startsWith('dgov_sso='))!;
    expect(sso).toMatch(/HttpOnly/);
    expect(sso).toMatch(/SameSite=Lax/);
  });

  it('never redirects to an unregistered redirect_uri', async () => {
    const { challenge } = pkce();
    const response = await fetch(authorizeUrl({ id: PORTAL.id, redirect: 'https://evil.example/cb' }, challenge), {
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('requires PKCE S256', async () => {
    const response = await fetch(authorizeUrl(PORTAL, 'x', { code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a login form without its anti-forgery token', async () => {
    const { challenge } = pkce();
    const fields = formFields(await (await fetch(authorizeUrl(PORTAL, challenge))).text());
    const submitted = await form('/oauth2/authorize', { ...fields, username: alice, password: PASSWORD });
    expect(submitted.status).toBe(400);
  });
});

describe('authorization codes', () => {
  it('are bound to the code_verifier', async () => {
    const signed = await signIn(PORTAL, new CookieJar(), { username: alice, password: PASSWORD });
    const wrong = await exchange(PORTAL, signed.code!, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
  });

  it('are bound to the client and redirect_uri', async () => {
    const signed = await signIn(PORTAL, new CookieJar(), { username: alice, password: PASSWORD });
    const other = await form('/oauth2/token', {
      grant_type: 'authorization_code',
      client_id: APP.id,
      code: signed.code!,
      redirect_uri: APP.redirect,
      code_verifier: signed.verifier!,
    });
    expect(other.body.error).toBe('invalid_grant');
  });

  it('are single use: a replay fails and revokes the tokens the code produced', async () => {
    const signed = await signIn(PORTAL, new CookieJar(), { username: alice, password: PASSWORD });
    const first = await exchange(PORTAL, signed.code!, signed.verifier!);
    expect(first.status).toBe(200);
    expect((await introspect(first.body.access_token as string)).body.active).toBe(true);
    // Not a retry (within the grace, the same request gets the same answer): another verifier.
    const replay = await exchange(PORTAL, signed.code!, pkce().verifier);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await introspect(first.body.access_token as string)).body.active).toBe(false);
    expect((await introspect(first.body.refresh_token as string)).body.active).toBe(false);
    expect((await userinfo(first.body.access_token as string)).status).toBe(401);
  });

  it('answers a retry of the same exchange within the grace with the same tokens, still valid', async () => {
    const signed = await signIn(PORTAL, new CookieJar(), { username: alice, password: PASSWORD });
    const first = await exchange(PORTAL, signed.code!, signed.verifier!);
    const retry = await exchange(PORTAL, signed.code!, signed.verifier!);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await introspect(first.body.access_token as string)).body.active).toBe(true);
  });
});

describe('client credentials', () => {
  it('issues a department token to a confidential client authenticated by HTTP Basic', async () => {
    const answer = await form(
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: 'licences:issue' },
      { authorization: basic('dept-market', departmentSecret) },
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(claimsOf(answer.body.access_token as string)).toMatchObject({
      sub: 'dept-market',
      client_id: 'dept-market',
      department: 'dept-market',
      scope: 'licences:issue',
      aud: 'dgov-api',
    });
    expect(answer.body.refresh_token).toBeUndefined();
  });

  it.each([
    ['a wrong secret', { grant_type: 'client_credentials' }, basic('dept-market', 'nope'), 401, 'invalid_client'],
    ['an unknown client', { grant_type: 'client_credentials' }, basic('nobody', 'x'), 401, 'invalid_client'],
    ['a scope the client lacks', { grant_type: 'client_credentials', scope: 'admin' }, undefined, 400, 'invalid_scope'],
    ['an unsupported grant', { grant_type: 'password' }, undefined, 400, 'unsupported_grant_type'],
    ['no grant_type', {}, undefined, 400, 'invalid_request'],
  ])('answers %s with the OAuth error', async (_name, fields, authorization, status, error) => {
    const answer = await form('/oauth2/token', fields as Record<string, string>, {
      authorization: authorization ?? basic('dept-market', departmentSecret),
    });
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(error);
  });
});

describe('refresh tokens', () => {
  const refreshWith = (refreshToken: string) =>
    form('/oauth2/token', { grant_type: 'refresh_token', client_id: PORTAL.id, refresh_token: refreshToken });

  it('rotate on every use; a retry within the grace gets the same pair; a reuse further back revokes the family', async () => {
    const tokens = await tokensFor(PORTAL);
    const refreshed = await refreshWith(tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    const next = refreshed.body.refresh_token as string;
    expect(next).not.toBe(tokens.refresh_token);
    // The client lost the answer and retries at once: the same pair, nothing revoked.
    const retried = await refreshWith(tokens.refresh_token);
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(refreshed.body);
    const latest = await refreshWith(next);
    expect(latest.status).toBe(200);
    // The first token is now two rotations back: theft, even within the grace.
    const reused = await refreshWith(tokens.refresh_token);
    expect(reused.body.error).toBe('invalid_grant');
    const afterReuse = await refreshWith(latest.body.refresh_token as string);
    expect(afterReuse.body.error).toBe('invalid_grant');
    expect((await introspect(refreshed.body.access_token as string)).body.active).toBe(false);
    expect((await introspect(latest.body.access_token as string)).body.active).toBe(false);
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('a revoked access token is inactive to introspection and refused by a protected endpoint', async () => {
    const tokens = await tokensFor(PORTAL);
    expect((await userinfo(tokens.access_token)).status).toBe(200);
    const revoked = await form('/oauth2/revoke', {
      token: tokens.access_token,
      token_type_hint: 'access_token',
      client_id: PORTAL.id,
    });
    expect(revoked.status).toBe(200);
    expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
    expect((await userinfo(tokens.access_token)).status).toBe(401);
  });

  it('introspection requires client authentication', async () => {
    const tokens = await tokensFor(PORTAL);
    const anonymous = await form('/oauth2/introspect', { token: tokens.access_token, client_id: PORTAL.id });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
  });

  it('answers 200 to revoking an unknown token', async () => {
    expect((await form('/oauth2/revoke', { token: 'not-a-token', client_id: PORTAL.id })).status).toBe(200);
  });

  it('logout with an id_token_hint ends the SSO session and its refresh families; without one it asks first', async () => {
    const jar = new CookieJar();
    const signed = await signIn(PORTAL, jar, { username: alice, password: PASSWORD });
    const tokens = (await exchange(PORTAL, signed.code!, signed.verifier!)).body;
    const asked = await fetch(`${api}/oauth2/logout`, { headers: { cookie: jar.header() } });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('action="/oauth2/logout"');
    expect((await introspect(tokens.refresh_token as string)).body.active).toBe(true);
    const hint = encodeURIComponent(tokens.id_token as string);
    const out = await fetch(`${api}/oauth2/logout?id_token_hint=${hint}`, { headers: { cookie: jar.header() } });
    jar.store(out);
    expect(out.status).toBe(200);
    expect((await introspect(tokens.refresh_token as string)).body.active).toBe(false);
    expect((await signIn(APP, jar, { username: alice, password: PASSWORD })).loginShown).toBe(true);
  });
});

describe('forged and expired tokens at a protected endpoint', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  let valid: string;
  let claims: Record<string, unknown>;
  let header: Record<string, unknown>;
  beforeAll(async () => {
    valid = (await tokensFor(PORTAL)).access_token;
    claims = claimsOf(valid);
    header = JSON.parse(Buffer.from(valid.split('.')[0]!, 'base64url').toString('utf8'));
  });
  // Signed again with the suite's own token key, so only the changed claim can be what is refused.
  const resign = (change: Record<string, unknown>) =>
    signJwt(fileSigner(join(dir, 'keys', 'token-signing.pem')), { ...claims, ...change }, 'at+jwt');
  const keepSignature = (change: Record<string, unknown>) =>
    `${valid.split('.')[0]}.${b64({ ...claims, ...change })}.${valid.split('.')[2]}`;

  it('accepts a token signed again with the same key and unchanged claims (so the cases below test the claims)', async () => {
    expect((await userinfo(await resign({}))).status).toBe(200);
  });

  it.each([
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, 'algorithm not accepted'],
    [
      'HS256 signed with the public key',
      async () => {
        const head = b64({ ...header, alg: 'HS256' });
        return `${head}.${b64(claims)}.${createHmac('sha256', JSON.stringify(header))
          .update(`${head}.${b64(claims)}`)
          .digest('base64url')}`;
      },
      'algorithm not accepted',
    ],
    [
      'an unknown kid',
      async () => `${b64({ ...header, kid: 'unknown' })}.${valid.split('.')[1]}.${valid.split('.')[2]}`,
      'unknown signing key',
    ],
    ['an expired token', () => resign({ exp: Math.floor(Date.now() / 1000) - 120 }), 'expired'],
    ['a token not yet valid', () => resign({ nbf: Math.floor(Date.now() / 1000) + 600 }), 'not yet valid'],
    ['another issuer', () => resign({ iss: 'https://evil.example' }), 'wrong issuer'],
    ['another audience', () => resign({ aud: 'someone-else' }), 'wrong audience'],
    [
      'a tampered payload under the original signature',
      async () => keepSignature({ sub: 'acc-admin' }),
      'bad signature',
    ],
  ])('refuses %s with 401, for that reason', async (_name, forge, reason) => {
    const answer = await userinfo(await forge());
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="${reason}"`);
  });
});

describe.skipIf(!chromiumPath)('the login page in headless Chromium', () => {
  it('signs in by typing into the form, then the second client needs no password', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(authorizeUrl(PORTAL, pkce().challenge));
      await page.fill('#username', alice);
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/portal\/callback/);
      expect(await page.textContent('body')).toBe('signed in');
      expect(new URL(landed.at(-1)!).searchParams.get('code')).toBeTruthy();
      await page.goto(authorizeUrl(APP, pkce().challenge, { scope: 'openid profile' }));
      await page.waitForURL(/\/app\/cb/);
      expect(new URL(landed.at(-1)!).searchParams.get('code')).toBeTruthy();
    } finally {
      await browser.close();
    }
  });
});

describe('login failures', () => {
  it('answers a wrong password and an unknown account alike', async () => {
    const carol = citizenId(6);
    const account = { type: 'citizen', idNumber: carol, name: '孙七', phone: '13612345678', password: PASSWORD };
    expect((await post('/identity/accounts', account)).status).toBe(201);
    // The account exists: the right password is let in, so the refusal below is the wrong password's.
    expect((await signIn(PORTAL, new CookieJar(), { username: carol, password: PASSWORD })).status).toBe(302);
    const wrong = await signIn(PORTAL, new CookieJar(), { username: carol, password: 'wrong-password-1' });
    const unknown = await signIn(PORTAL, new CookieJar(), { username: citizenId(99), password: 'wrong-password-1' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const message = (page: string) => /role="alert">([^<]+)</.exec(page)?.[1];
    expect(message(wrong.text!)).toBe(message(unknown.text!));
  });

  it('locks the account for 15 minutes after five failures, even for the right password', async () => {
    const bob = citizenId(5);
    expect(
      (
        await post('/identity/accounts', {
          type: 'citizen',
          idNumber: bob,
          name: '赵六',
          phone: '13712345678',
          password: PASSWORD,
        })
      ).status,
    ).toBe(201);
    for (let i = 0; i < 5; i++)
      expect((await signIn(PORTAL, new CookieJar(), { username: bob, password: `wrong-password-${i}` })).status).toBe(
        401,
      );
    expect((await signIn(PORTAL, new CookieJar(), { username: bob, password: PASSWORD })).status).toBe(401);
  });

  // One identifier for every attempt: after five failures it is locked, and a locked attempt costs no
  // scrypt, so the attempts reach the limit (per source, per minute) within a minute on a loaded machine.
  it('limits login attempts per source with 429 and Retry-After', { timeout: 180_000 }, async () => {
    const { challenge } = pkce();
    const attempt = async (i: number) => {
      const jar = new CookieJar();
      const page = await fetch(authorizeUrl(PORTAL, challenge));
      jar.store(page);
      return form(
        '/oauth2/authorize',
        { ...formFields(await page.text()), username: citizenId(50), password: `wrong-password-${i}` },
        { cookie: jar.header() },
      );
    };
    let limited: Response | undefined;
    for (let batch = 0; batch < 8 && !limited; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(batch * 10 + i)));
      limited = answers.find((answer) => answer.status === 429)?.response;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('audit', () => {
  it('records logins, failed logins, token issues, refreshes, reuse detection and revocations', async () => {
    const wanted = [
      'identity.login',
      'identity.token.issue',
      'identity.token.refresh',
      'identity.token.reuse-detected',
      'identity.token.revoke',
    ];
    const deadline = Date.now() + 30_000;
    let seen = new Map<string, Set<string>>();
    while (Date.now() < deadline) {
      seen = new Map();
      for await (const event of queryEvents(
        s3TrailReader(runtime.clients.s3, runtime.environment.buckets.auditBucket!),
        { action: 'identity.*' },
      )) {
        (seen.get(event.action) ?? seen.set(event.action, new Set()).get(event.action)!).add(event.outcome);
      }
      if (wanted.every((action) => seen.has(action)) && seen.get('identity.login')?.has('denied')) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    for (const action of wanted) expect(seen.has(action), action).toBe(true);
    expect([...(seen.get('identity.login') ?? [])].sort()).toEqual(['denied', 'success']);
  });
});
