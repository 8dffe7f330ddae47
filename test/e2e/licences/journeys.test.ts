import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idNumberCheckDigit } from '../../../shared/identifiers.ts';
import { CookieJar, formFields, pkce } from '../../support/oidc.ts';
import { call, target } from '../../support/target.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

describe.skipIf(!target.apiUrl)(`licences, public parts, against ${target.name}`, () => {
  it('publishes the catalogue with JSON Schemas, the seal keys, and its operations in /openapi.json', async () => {
    const types = await call('/licences/types');
    expect((types.body as unknown as { type: string }[]).map((entry) => entry.type)).toContain('no-criminal-record');
    const keys = (await call('/licences/seal-keys')).body.keys as { alg: string; crv: string }[];
    expect(keys).toEqual(expect.arrayContaining([expect.objectContaining({ alg: 'SM2-SM3', crv: 'SM2' })]));
    const openapi = (await call('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/licences', '/licences/verify', '/licences/{licenceId}/revoke']),
    );
  });

  it('a forged licence is a verdict, never a 5xx', async () => {
    const verdict = await call(
      '/licences/verify',
      json({ document: { licenceId: 'L0', validFrom: 'x' }, seal: { alg: 'SM2-SM3', kid: 'nope', signature: '%%%' } }),
    );
    expect(verdict.status).toBe(200);
    expect(verdict.body.valid).toBe(false);
  });
});

describe.skipIf(target.name !== 'embedded' || !target.apiUrl)('licences journeys with the demo clients', () => {
  const demo = () =>
    JSON.parse(readFileSync(join(target.localDir!, 'demo-clients.json'), 'utf8')) as Record<
      string,
      { client_secret?: string }
    >;
  const departmentToken = async (clientId: string) => {
    const answer = await call('/oauth2/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(clientId, demo()[clientId]!.client_secret!),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'licences:issue' }).toString(),
    });
    expect(answer.status).toBe(200);
    return String(answer.body.access_token);
  };
  /** A new citizen signs in at the demo portal (code flow with PKCE), as a browser would. */
  const citizenToken = async () => {
    const first17 = `370102198506${String(10 + (Date.now() % 18)).padStart(2, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
    const idNumber = first17 + idNumberCheckDigit(first17);
    const password = 'Licence-Journey-1';
    expect(
      (
        await call(
          '/identity/accounts',
          json({ type: 'citizen', idNumber, name: '持证人', phone: '13900000001', password }),
        )
      ).status,
    ).toBe(201);
    const { verifier, challenge } = pkce();
    const redirect = 'http://127.0.0.1:8080/callback';
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'demo-portal',
      redirect_uri: redirect,
      scope: 'openid profile',
      state: randomUUID(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const jar = new CookieJar();
    const page = await fetch(`${target.apiUrl}/oauth2/authorize?${query}`, { redirect: 'manual' });
    jar.store(page);
    const login = await fetch(`${target.apiUrl}/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
      body: new URLSearchParams({ ...formFields(await page.text()), username: idNumber, password }).toString(),
    });
    const code = new URL(login.headers.get('location')!).searchParams.get('code')!;
    const tokens = await call('/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'demo-portal',
        code,
        redirect_uri: redirect,
        code_verifier: verifier,
      }).toString(),
    });
    return { idNumber, token: String(tokens.body.access_token) };
  };

  it('the police issue a certificate; its holder lists, reads and verifies it; others are refused; revocation shows', async () => {
    const [police, market, citizen] = await Promise.all([
      departmentToken('demo-police'),
      departmentToken('demo-department'),
      citizenToken(),
    ]);
    const matterId = `e2e-${randomUUID()}`;
    const body = {
      type: 'no-criminal-record',
      holder: { kind: 'citizen', id: citizen.idNumber },
      matterId,
      data: {
        name: '持证人',
        idNumber: citizen.idNumber,
        purpose: '就业',
        checkedPeriod: { from: '2015-01-01', to: '2025-01-01' },
      },
    };
    // A small sample of the race across the sandboxes of the local runtime: one licence.
    const racing = await Promise.all(Array.from({ length: 8 }, () => call('/licences', json(body, police))));
    expect(racing.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(new Set(racing.map((answer) => answer.body.licenceId)).size).toBe(1);
    const licenceId = String(racing[0]!.body.licenceId);

    const mine = await call('/licences?holder=me', bearer(citizen.token));
    expect((mine.body.licences as { licenceId: string }[]).map((licence) => licence.licenceId)).toContain(licenceId);
    expect((await call(`/licences/${licenceId}`, bearer(citizen.token))).status).toBe(200);
    expect((await call(`/licences/${licenceId}`, bearer(market))).status).toBe(403);
    expect((await call(`/licences/${licenceId}/revoke`, json({ reason: 'x' }, market))).status).toBe(403);
    expect((await call(`/licences/${licenceId}/revoke`, json({ reason: 'x' }, citizen.token))).status).toBe(403);
    const qr = await fetch(`${target.apiUrl}/licences/${licenceId}/qr.png`, bearer(citizen.token));
    expect(qr.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await qr.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect((await call('/licences/verify', json({ licenceId }))).body.valid).toBe(true);

    expect((await call(`/licences/${licenceId}/revoke`, json({ reason: 'issued in error' }, police))).body.status).toBe(
      'revoked',
    );
    expect((await call('/licences/verify', json({ licenceId }))).body.checks).toMatchObject({
      seal: true,
      notRevoked: false,
    });
  });

  it('payments-receipts issues an electronic payment receipt as dept-finance', async () => {
    const finance = await departmentToken('payments-receipts');
    const first17 = '37010219850612001';
    const answer = await call(
      '/licences',
      json(
        {
          type: 'payment-receipt',
          holder: { kind: 'citizen', id: first17 + idNumberCheckDigit(first17) },
          matterId: `PO-${randomUUID()}`,
          data: {
            orderId: 'PO-1',
            paymentCode: '3701000001',
            itemCode: 'FEE-1',
            amountFen: 1200,
            currency: 'CNY',
            paidAt: '2026-01-02T03:04:05Z',
            payerName: '缴款人',
          },
        },
        finance,
      ),
    );
    expect(answer.status).toBe(201);
    expect(answer.body.seal).toMatchObject({ alg: 'SM2-SM3' });
  });
});
