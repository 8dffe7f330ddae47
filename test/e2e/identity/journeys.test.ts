import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idNumberCheckDigit } from '../../../shared/identifiers.ts';
import { call, target } from '../../support/target.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe.skipIf(!target.apiUrl)(`identity journeys against ${target.name}`, () => {
  it('publishes discovery and a JWKS whose keys are ES256', async () => {
    const discovery = await call('/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    expect(discovery.body.code_challenge_methods_supported).toEqual(['S256']);
    const jwks = await call(new URL(String(discovery.body.jwks_uri)).pathname);
    const keys = jwks.body.keys as { kid: string; alg: string; crv: string }[];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatchObject({ alg: 'ES256', crv: 'P-256', kid: expect.any(String) });
  });

  it('registers a citizen once, then answers 409', async () => {
    const first17 = `37010219850612${String(Date.now() % 1000).padStart(3, '0')}`;
    const account = {
      type: 'citizen',
      idNumber: first17 + idNumberCheckDigit(first17),
      name: '测试用户',
      phone: '13900000000',
      password: 'Journey-Password-1',
    };
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) };
    const created = await call('/identity/accounts', init);
    expect([201, 409]).toContain(created.status); // a rerun within the same millisecond bucket meets its own account
    expect((await call('/identity/accounts', init)).status).toBe(409);
  });

  it('refuses userinfo without a token with 401 and a Bearer challenge', async () => {
    const answer = await call('/oauth2/userinfo');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe.skipIf(target.name !== 'embedded' || !target.apiUrl)('the demo clients npm start seeds', () => {
  it('gets a department token with client credentials and sees it active in introspection', async () => {
    const demo = JSON.parse(readFileSync(join(target.localDir!, 'demo-clients.json'), 'utf8')) as Record<
      string,
      { client_secret?: string }
    >;
    const secret = demo['demo-department']!.client_secret!;
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('demo-department', secret) },
      body: new URLSearchParams(fields).toString(),
    });
    const token = await call('/oauth2/token', form({ grant_type: 'client_credentials', scope: 'licences:issue' }));
    expect(token.status).toBe(200);
    const introspection = await call('/oauth2/introspect', form({ token: String(token.body.access_token) }));
    expect(introspection.body).toMatchObject({
      active: true,
      client_id: 'demo-department',
      department: 'dept-market',
      scope: 'licences:issue',
    });
  });
});
