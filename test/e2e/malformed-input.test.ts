import { describe, expect, it } from 'vitest';
import { call, target } from '../support/target.ts';

/**
 * Malformed input through the whole stack (the gateway or API Gateway, the function, its table):
 * never a 5xx. The in-process tests (test/unit/gateway.test.ts, test/unit/identity/malformed-input*)
 * cover each layer; these check the layers together, on every target.
 */
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basicOf = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
const bearerOf = (header: unknown) =>
  `Bearer ${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.AA`;

describe.skipIf(!target.apiUrl)(`malformed input against ${target.name}`, () => {
  it.each(['//[', '//a:b', '//%zz', '//x/health'])('answers the path %s without a 5xx', async (path) => {
    const answer = await call(path);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });

  it.each([
    ['a JOSE header that is null', bearerOf(null)],
    ['an algorithm with a line break', bearerOf({ alg: 'ES256\nx' })],
    ['an algorithm outside Latin-1', bearerOf({ alg: '算法' })],
  ])('refuses a bearer token with %s with a 401', async (_, authorization) => {
    const answer = await call('/oauth2/userinfo', { headers: { authorization } });
    expect(answer.status).toBe(401);
  });

  it.each(['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect'])(
    'refuses client_secret_basic with a bad percent escape on %s as invalid_client',
    async (path) => {
      const answer = await call(path, {
        method: 'POST',
        headers: { ...FORM, authorization: basicOf('%zz:%E0%A4%A') },
        body: 'grant_type=client_credentials&token=x',
      });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_client' });
    },
  );

  it('refuses a client id longer than any table key as invalid_client', async () => {
    const answer = await call('/oauth2/token', {
      method: 'POST',
      headers: FORM,
      body: `grant_type=client_credentials&client_id=${'c'.repeat(3000)}&client_secret=x`,
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
  });

  it('shows the error page, not a 5xx, for a client id longer than any table key', async () => {
    const authorize = await call(`/oauth2/authorize?client_id=${'c'.repeat(3000)}&response_type=code`);
    expect(authorize.status).toBe(400);
    expect(authorize.headers.get('content-type')).toMatch(/^text\/html/);
    const logout = await call(`/oauth2/logout?client_id=${'c'.repeat(3000)}&post_logout_redirect_uri=https://x.test/`);
    expect(logout.status).toBeLessThan(500);
  });
});
