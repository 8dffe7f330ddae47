import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { localClients } from '../../../local/aws-clients.ts';
import type { ResolvedEnvironment } from '../../../local/runtime.ts';
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

describe.skipIf(target.name !== 'embedded' || !target.apiUrl)('npm start', () => {
  // test/integration/identity/api.test.ts lowers the cost for its own runtime; `npm start` must not.
  it('stores a registered password hashed at scrypt N=2^17, r=8, p=1', async () => {
    const first17 = `44030519900101${String(Date.now() % 1000).padStart(3, '0')}`;
    const idNumber = first17 + idNumberCheckDigit(first17);
    const account = { type: 'citizen', idNumber, name: '成本', phone: '13900000001', password: 'Cost-Check-Pass-1' };
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) };
    expect([201, 409]).toContain((await call('/identity/accounts', init)).status);
    const env = JSON.parse(readFileSync(join(target.localDir!, 'env.json'), 'utf8')) as ResolvedEnvironment;
    const store = dynamoIdentityStore(DynamoDBDocumentClient.from(localClients(env.endpoints, env.region).dynamodb), {
      identity: env.tables.identityTable!,
      control: env.tables.controlTable!,
    });
    expect((await store.accountByIdentifier(idNumber))?.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
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
