import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../infra/project-root.ts';
import { chromiumPath } from '../../support/chromium.ts';
import { target } from '../../support/target.ts';
import { newCitizen, PASSWORD } from './flows.ts';

/**
 * A single-page app on an origin of its own (a public PKCE client registered at run time with
 * `dgov clients create`), in headless Chromium against `npm start`: the browser enforces CORS, so
 * every `fetch` below works only if the API answers the preflight and allows the app's origin.
 */

/** The app: PKCE in the page (Web Crypto), the login by navigation, then tokens, userinfo, refresh and revocation by fetch. */
const APP = `<!doctype html><meta charset="utf-8"><title>app</title><pre id="out"></pre><script type="module">
const config = JSON.parse(sessionStorage.getItem('config') ?? 'null') ?? Object.fromEntries(new URLSearchParams(location.search));
sessionStorage.setItem('config', JSON.stringify(config));
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const redirectUri = location.origin + '/callback';
const form = (fields) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'spa-' + crypto.randomUUID() }, body: new URLSearchParams(fields) });
const answer = async (response) => ({ status: response.status, body: await response.json().catch(() => null), requestId: response.headers.get('x-request-id') });
async function start() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = crypto.randomUUID();
  sessionStorage.setItem('pkce', JSON.stringify({ verifier, state }));
  location.assign(config.api + '/oauth2/authorize?' + new URLSearchParams({ response_type: 'code', client_id: config.client, redirect_uri: redirectUri, scope: 'openid profile offline_access', state, nonce: crypto.randomUUID(), code_challenge: challenge, code_challenge_method: 'S256' }));
}
async function callback() {
  const { verifier, state } = JSON.parse(sessionStorage.getItem('pkce'));
  const params = new URLSearchParams(location.search);
  if (params.get('state') !== state) throw new Error('state mismatch');
  const results = {};
  results.token = await answer(await fetch(config.api + '/oauth2/token', form({ grant_type: 'authorization_code', client_id: config.client, code: params.get('code'), redirect_uri: redirectUri, code_verifier: verifier })));
  const bearer = (token) => ({ headers: { authorization: 'Bearer ' + token } });
  results.userinfo = await answer(await fetch(config.api + '/oauth2/userinfo', bearer(results.token.body.access_token)));
  results.refresh = await answer(await fetch(config.api + '/oauth2/token', form({ grant_type: 'refresh_token', client_id: config.client, refresh_token: results.token.body.refresh_token })));
  results.revoke = await answer(await fetch(config.api + '/oauth2/revoke', form({ client_id: config.client, token: results.refresh.body.refresh_token })));
  results.userinfoAfterRevoke = await answer(await fetch(config.api + '/oauth2/userinfo', bearer(results.refresh.body.access_token)));
  results.refreshAfterRevoke = await answer(await fetch(config.api + '/oauth2/token', form({ grant_type: 'refresh_token', client_id: config.client, refresh_token: results.refresh.body.refresh_token })));
  return results;
}
window.results = (location.pathname === '/callback' ? callback() : start()).catch((error) => ({ error: String(error) }));
</script>`;

/** A page on an origin no client registered: what its fetch calls get. */
const STRANGER = `<!doctype html><meta charset="utf-8"><title>stranger</title><script type="module">
const api = new URLSearchParams(location.search).get('api');
const attempt = (request) => request.then((response) => 'read ' + response.status, (error) => error.name);
window.results = Promise.all([
  attempt(fetch(api + '/.well-known/openid-configuration')),
  attempt(fetch(api + '/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'stranger' }, body: 'grant_type=refresh_token' })),
]);
</script>`;

const serve = async (page: string): Promise<{ server: Server; origin: string }> => {
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/favicon')) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

describe.skipIf(target.name !== 'embedded' || !target.apiUrl || !chromiumPath)(
  'a single-page app on another origin, in headless Chromium',
  () => {
    let app: Awaited<ReturnType<typeof serve>>;
    let stranger: Awaited<ReturnType<typeof serve>>;
    const clientId = `spa-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      [app, stranger] = await Promise.all([serve(APP), serve(STRANGER)]);
      // Registered at run time, as an operator would: its origin is allowed from then on.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          join(PROJECT_ROOT, 'cli/bin.mjs'),
          'clients',
          'create',
          '--id',
          clientId,
          '--kind',
          'public',
          '--scopes',
          'openid profile offline_access',
          '--redirect-uri',
          `${app.origin}/callback`,
        ],
        { env: { ...process.env, DGOV_LOCAL_DIR: target.localDir }, timeout: 60_000 },
      );
      expect(stdout).toContain(`cors origins  ${app.origin}`);
    });

    afterAll(() => {
      app?.server.close();
      stranger?.server.close();
    });

    it('runs the PKCE flow with fetch: code exchange, userinfo, refresh and revocation', async () => {
      const username = await newCitizen();
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-sync'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${app.origin}/?${new URLSearchParams({ api: target.apiUrl!, client: clientId })}`);
        await page.waitForURL(/\/oauth2\/authorize/);
        await page.fill('#username', username);
        await page.fill('#password', PASSWORD);
        await page.click('button[type=submit]');
        await page.waitForURL(new RegExp(`^${app.origin}/callback\\?`));
        const results = (await page.evaluate('window.results')) as Record<
          string,
          { status: number; body: Record<string, unknown>; requestId: string | null }
        >;
        expect(results.error).toBeUndefined();
        expect(results.token).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
        // x-request-id is readable by the app: exposed, and the id the app sent comes back.
        expect(results.token!.requestId).toMatch(/^spa-/);
        expect(results.userinfo).toMatchObject({ status: 200, body: { sub: expect.any(String) } });
        expect(results.refresh).toMatchObject({ status: 200, body: { refresh_token: expect.any(String) } });
        expect(results.refresh!.body.refresh_token).not.toBe(results.token!.body.refresh_token);
        expect(results.revoke!.status).toBe(200);
        // Errors are readable too: the app can tell a revoked session from a network failure.
        expect(results.userinfoAfterRevoke!.status).toBe(401);
        expect(results.refreshAfterRevoke).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

        // The same calls from an origin no client registered: the browser lets the page read nothing.
        await page.goto(`${stranger.origin}/?${new URLSearchParams({ api: target.apiUrl! })}`);
        expect(await page.evaluate('window.results')).toEqual(['TypeError', 'TypeError']);
      } finally {
        await browser.close();
      }
    });
  },
);
