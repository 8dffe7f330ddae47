import { randomInt, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { idNumberCheckDigit } from '../../../shared/identifiers.ts';
import { CookieJar, formFields, pkce } from '../../support/oidc.ts';
import { target } from '../../support/target.ts';

/** What the e2e identity journeys share: a fresh citizen, the code flow by fetch, form posts. */

export const PASSWORD = 'Journey-Password-1';
export const PORTAL = { id: 'demo-portal', redirect: 'http://127.0.0.1:8080/callback' };

/** A citizen of its own for each journey: journeys run in parallel against one `npm start`. */
export async function newCitizen(): Promise<string> {
  const first17 = `110101${1950 + randomInt(50)}0${1 + randomInt(9)}1${randomInt(10)}${String(randomInt(1000)).padStart(3, '0')}`;
  const idNumber = first17 + idNumberCheckDigit(first17);
  const account = { type: 'citizen', idNumber, name: '测试用户', phone: '13900000000', password: PASSWORD };
  const created = await fetch(`${target.apiUrl}/identity/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  if (created.status === 409) return newCitizen();
  expect(created.status).toBe(201);
  return idNumber;
}

export async function postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${target.apiUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // an HTML page or an empty answer
  }
  return { status: response.status, headers: response.headers, body, text };
}

export const authorizeUrl = (client: { id: string; redirect: string }, challenge: string) =>
  `${target.apiUrl}/oauth2/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.redirect,
    scope: 'openid profile offline_access',
    state: randomUUID(),
    nonce: randomUUID(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;

/** The login form of a new authorization request: its hidden fields and the cookie set with it. */
export async function loginForm(client = PORTAL) {
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const page = await fetch(authorizeUrl(client, challenge), { redirect: 'manual' });
  expect(page.status).toBe(200);
  jar.store(page);
  return { fields: formFields(await page.text()), cookie: jar.header(), verifier };
}

/** The code flow by fetch, as a browser would run it: login form, password, redirect, token exchange. */
export async function tokensFor(username: string, client = PORTAL) {
  const { fields, cookie, verifier } = await loginForm(client);
  const submitted = await postForm('/oauth2/authorize', { ...fields, username, password: PASSWORD }, { cookie });
  expect(submitted.status).toBe(302);
  const code = new URL(submitted.headers.get('location')!).searchParams.get('code')!;
  const tokens = await postForm('/oauth2/token', {
    grant_type: 'authorization_code',
    client_id: client.id,
    code,
    redirect_uri: client.redirect,
    code_verifier: verifier,
  });
  expect(tokens.status).toBe(200);
  return tokens.body as { access_token: string; refresh_token: string; id_token: string };
}

export const refresh = (refreshToken: string, client = PORTAL) =>
  postForm('/oauth2/token', { grant_type: 'refresh_token', client_id: client.id, refresh_token: refreshToken });

export const userinfo = (accessToken: string) =>
  fetch(`${target.apiUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } }).then(
    async (response) => ({ status: response.status, body: await response.text() }),
  );
