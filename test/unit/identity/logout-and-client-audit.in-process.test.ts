import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../shared/observability.ts';
import {
  CONFIDENTIAL,
  identityEvent,
  identityHandler,
  identityStore,
  lambdaContext,
  PUBLIC_CLIENT,
  type RequestParts,
} from '../../support/identity-in-process.ts';

const audited = vi.hoisted(() => [] as Record<string, unknown>[]);
vi.mock(import('../../../functions/identity/store.ts'), () => ({ dynamoIdentityStore: () => identityStore }));
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => async (body: string) => {
    audited.push(JSON.parse(body) as Record<string, unknown>);
  },
}));

const ID_NUMBER = '11010519491231002X';
const PASSWORD = 'Tai-Shan-Sunrise-2024';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function call(parts: RequestParts): Promise<APIGatewayProxyStructuredResultV2> {
  const handler = await identityHandler();
  return handler(identityEvent(parts), lambdaContext());
}
const form = (values: Record<string, string>) => new URLSearchParams(values).toString();
const cookieValue = (response: APIGatewayProxyStructuredResultV2, name: string) => {
  const line = response.cookies?.find((item) => item.startsWith(`${name}=`));
  return line === undefined ? undefined : line.split(';')[0]!.slice(name.length + 1);
};
const hiddenField = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const authorizeQuery = (challenge: string) => ({
  response_type: 'code',
  client_id: PUBLIC_CLIENT.id,
  redirect_uri: PUBLIC_CLIENT.redirect,
  scope: 'openid',
  state: 'st',
  code_challenge: challenge,
  code_challenge_method: 'S256',
});
const codeOf = (response: APIGatewayProxyStructuredResultV2) =>
  new URL(String(response.headers?.location)).searchParams.get('code') ?? undefined;

/** Signs in through the login form: the SSO cookie. */
async function signIn(): Promise<string> {
  const { challenge } = pkce();
  const page = await call({ method: 'GET', path: '/oauth2/authorize', query: authorizeQuery(challenge) });
  const csrf = hiddenField(String(page.body), 'csrf')!;
  const posted = await call({
    method: 'POST',
    path: '/oauth2/authorize',
    headers: FORM,
    cookies: [`dgov_login_csrf=${cookieValue(page, 'dgov_login_csrf')}`],
    body: form({ ...authorizeQuery(challenge), username: ID_NUMBER, password: PASSWORD, csrf }),
  });
  expect(posted.statusCode).toBe(302);
  return cookieValue(posted, 'dgov_sso')!;
}

/** A code by SSO (no password asked), or undefined when the session has ended. */
async function codeBySso(sso: string) {
  const { verifier, challenge } = pkce();
  const answer = await call({
    method: 'GET',
    path: '/oauth2/authorize',
    query: authorizeQuery(challenge),
    cookies: [`dgov_sso=${sso}`],
  });
  return { code: answer.statusCode === 302 ? codeOf(answer) : undefined, verifier };
}

const redeem = (code: string, verifier: string) =>
  call({
    method: 'POST',
    path: '/oauth2/token',
    headers: FORM,
    body: form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: PUBLIC_CLIENT.redirect,
      code_verifier: verifier,
      client_id: PUBLIC_CLIENT.id,
    }),
  });

async function idTokenOf(sso: string) {
  const { code, verifier } = await codeBySso(sso);
  const tokens = await redeem(code!, verifier);
  return JSON.parse(String(tokens.body)).id_token as string;
}

beforeAll(async () => {
  await identityHandler();
  const created = await call({
    method: 'POST',
    path: '/identity/accounts',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'citizen',
      idNumber: ID_NUMBER,
      name: '张三',
      phone: '13812345678',
      password: PASSWORD,
    }),
  });
  expect(created.statusCode).toBe(201);
  // Configured as deployed (no DGOV_PASSWORD_SCRYPT_N), the handler hashes at N=2^17; the sign-ins below verify it.
  expect((await identityStore.accountByIdentifier(ID_NUMBER))?.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
}, 60_000);

beforeEach(() => {
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  audited.length = 0;
});

describe('logout through the identity handler', { timeout: 60_000 }, () => {
  it('GET without id_token_hint answers the confirmation page and the session stays valid', async () => {
    const sso = await signIn();
    const page = await call({ method: 'GET', path: '/oauth2/logout', cookies: [`dgov_sso=${sso}`] });
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<form method="post" action="/oauth2/logout">');
    expect(hiddenField(String(page.body), 'csrf')).toBeTruthy();
    expect(cookieValue(page, 'dgov_logout_csrf')).toBeTruthy();
    expect(page.cookies?.some((item) => item.startsWith('dgov_sso='))).toBe(false);
    expect((await codeBySso(sso)).code).toBeDefined();
    expect(audited.map((event) => event.action)).not.toContain('identity.logout');
  });

  it('the confirmed POST (csrf matching its cookie) logs out; a forged POST does not', async () => {
    const sso = await signIn();
    const query = { client_id: PUBLIC_CLIENT.id, post_logout_redirect_uri: PUBLIC_CLIENT.redirect, state: 'bye' };
    const page = await call({ method: 'GET', path: '/oauth2/logout', query, cookies: [`dgov_sso=${sso}`] });
    expect(page.headers?.['content-security-policy']).toContain("form-action 'self' http://127.0.0.1:8080");
    const csrf = hiddenField(String(page.body), 'csrf')!;
    const forged = await call({
      method: 'POST',
      path: '/oauth2/logout',
      headers: FORM,
      cookies: [`dgov_sso=${sso}`],
      body: form({ ...query, csrf }),
    });
    expect(forged.statusCode).toBe(200);
    expect(forged.body).toContain('action="/oauth2/logout"');
    expect((await codeBySso(sso)).code).toBeDefined();

    const confirmed = await call({
      method: 'POST',
      path: '/oauth2/logout',
      headers: FORM,
      cookies: [`dgov_sso=${sso}`, `dgov_logout_csrf=${cookieValue(page, 'dgov_logout_csrf')}`],
      body: form({ ...query, csrf }),
    });
    expect(confirmed.statusCode).toBe(302);
    expect(confirmed.headers?.location).toBe(`${PUBLIC_CLIENT.redirect}?state=bye`);
    expect(confirmed.cookies).toContainEqual(expect.stringMatching(/^dgov_sso=; .*Max-Age=0/));
    expect((await codeBySso(sso)).code).toBeUndefined();
    expect(audited.map((event) => event.action)).toContain('identity.logout');
  });

  it('GET with a valid id_token_hint logs out at once and redirects to the registered URI', async () => {
    const sso = await signIn();
    const hint = await idTokenOf(sso);
    const out = await call({
      method: 'GET',
      path: '/oauth2/logout',
      query: { id_token_hint: hint, post_logout_redirect_uri: PUBLIC_CLIENT.redirect, state: 's1' },
      cookies: [`dgov_sso=${sso}`],
    });
    expect(out.statusCode).toBe(302);
    expect(out.headers?.location).toBe(`${PUBLIC_CLIENT.redirect}?state=s1`);
    expect((await codeBySso(sso)).code).toBeUndefined();
  });

  it('a code issued before the logout fails to redeem after it', async () => {
    const sso = await signIn();
    const hint = await idTokenOf(sso);
    const pending = await codeBySso(sso);
    const out = await call({
      method: 'GET',
      path: '/oauth2/logout',
      query: { id_token_hint: hint },
      cookies: [`dgov_sso=${sso}`],
    });
    expect(out.statusCode).toBe(200);
    expect(out.body).toContain('You are signed out');
    const refused = await redeem(pending.code!, pending.verifier);
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(String(refused.body))).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('refused client authentication through the identity handler', { timeout: 60_000 }, () => {
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it.each([
    ['/oauth2/token', 'token', 'grant_type=client_credentials'],
    ['/oauth2/revoke', 'revocation', 'token=x'],
    ['/oauth2/introspect', 'introspection', 'token=x'],
  ])('%s audits a wrong secret and an unknown client as denied, never the secret', async (path, endpoint, body) => {
    await identityHandler();
    const wrong = await call({
      method: 'POST',
      path,
      headers: { ...FORM, authorization: basic(CONFIDENTIAL.id, 'wrong-secret-value') },
      body,
    });
    const unknown = await call({
      method: 'POST',
      path,
      headers: FORM,
      body: `${body}&client_id=no-such-client&client_secret=guessed-secret-value`,
    });
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(audited).toEqual([
      expect.objectContaining({
        action: 'identity.client.auth',
        outcome: 'denied',
        actor: { kind: 'client', id: CONFIDENTIAL.id, clientId: CONFIDENTIAL.id },
        resource: `oauth2/${endpoint}`,
        sourceIp: '203.0.113.9',
      }),
      expect.objectContaining({
        action: 'identity.client.auth',
        outcome: 'denied',
        actor: { kind: 'client', id: 'no-such-client', clientId: 'no-such-client' },
      }),
    ]);
    expect(JSON.stringify(audited)).not.toMatch(/wrong-secret-value|guessed-secret-value/);
  });

  it('audits a malformed Basic header with an anonymous actor', async () => {
    await identityHandler();
    const answer = await call({
      method: 'POST',
      path: '/oauth2/token',
      headers: { ...FORM, authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(answer.statusCode).toBe(401);
    expect(audited).toEqual([
      expect.objectContaining({ action: 'identity.client.auth', actor: { kind: 'anonymous', id: 'unknown' } }),
    ]);
  });
});
