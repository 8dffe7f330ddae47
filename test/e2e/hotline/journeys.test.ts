import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { localClients } from '../../../local/aws-clients.ts';
import type { ResolvedEnvironment } from '../../../local/runtime.ts';
import { chromiumPath } from '../../support/chromium.ts';
import { basic, formFields, idNumberCheckDigit, pkce } from '../../support/oidc.ts';
import { call, target } from '../../support/target.ts';

const embedded = target.name === 'embedded' && !!target.apiUrl;
type Demo = Record<string, { client_secret?: string; api_key?: string }>;
let demo: Demo;
let env: ResolvedEnvironment;

const PASSWORD = 'Hotline-Journey-1';
const json = (body: unknown, token?: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** A confidential demo client's own token (client credentials). */
async function clientToken(clientId: string): Promise<string> {
  const answer = await call('/oauth2/token', {
    ...form({ grant_type: 'client_credentials' }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(clientId, demo[clientId]!.client_secret!),
    },
  });
  expect(answer.status).toBe(200);
  return String(answer.body.access_token);
}

/** A new citizen, signed in to demo-portal through the authorization code flow; their token and id number. */
async function citizen(seed: number): Promise<{ token: string; idNumber: string }> {
  const first17 = `37020219900101${String((Date.now() + seed) % 1000).padStart(3, '0')}`;
  const idNumber = first17 + idNumberCheckDigit(first17);
  // Right after start DynamoDB Local's JVM may still warm up: a 503 says to try again, as a client would
  // (409: an attempt that timed out for us had created it).
  let created = await call(
    '/identity/accounts',
    json({ type: 'citizen', idNumber, name: '市民', phone: '13900000001', password: PASSWORD }),
  );
  for (let i = 0; i < 15 && created.status >= 500; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    created = await call(
      '/identity/accounts',
      json({ type: 'citizen', idNumber, name: '市民', phone: '13900000001', password: PASSWORD }),
    );
  }
  if (created.status !== 201 && created.status !== 409)
    throw new Error(`registration answered ${created.status}: ${created.text.slice(0, 300)}`);
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: 'demo-portal',
    redirect_uri: 'http://127.0.0.1:8080/callback',
    scope: 'openid',
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const page = await fetch(`${target.apiUrl}/oauth2/authorize?${query}`);
  const fields = { ...formFields(await page.text()), username: idNumber, password: PASSWORD };
  const cookie = page.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const signed = await fetch(`${target.apiUrl}/oauth2/authorize`, {
    ...form(fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    redirect: 'manual',
  });
  const location = signed.headers.get('location');
  if (!location) throw new Error(`sign-in answered ${signed.status}: ${(await signed.text()).slice(0, 300)}`);
  const code = new URL(location).searchParams.get('code')!;
  const token = await call(
    '/oauth2/token',
    form({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: 'demo-portal',
      redirect_uri: 'http://127.0.0.1:8080/callback',
    }),
  );
  return { token: String(token.body.access_token), idNumber };
}

const ticket = (overrides: Record<string, unknown> = {}) => ({
  category: 'housing.property',
  description: '小区电梯停运三天',
  location: { cityCode: '370200', districtCode: '370202' },
  contact: { phone: `139${String(Date.now()).slice(-8)}`, name: '王五' },
  channel: 'app',
  ...overrides,
});

/** Reads a ticket until `done` says yes (routing is asynchronous), for up to 20 s. */
async function until(path: string, token: string, done: (body: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 80; i++) {
    const answer = await call(path, bearer(token));
    if (answer.status === 200 && done(answer.body)) return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${path} never got there`);
}

describe.skipIf(!embedded)('the 12345 hotline on the running suite', () => {
  let housing: string;
  let transport: string;
  let alice: { token: string; idNumber: string };
  let bob: { token: string; idNumber: string };
  beforeAll(async () => {
    demo = JSON.parse(readFileSync(join(target.localDir!, 'demo-clients.json'), 'utf8')) as Demo;
    env = JSON.parse(readFileSync(join(target.localDir!, 'env.json'), 'utf8')) as ResolvedEnvironment;
    [housing, transport, alice, bob] = await Promise.all([
      clientToken('demo-dept-housing'),
      clientToken('demo-dept-transport'),
      citizen(1),
      citizen(2),
    ]);
  }, 60_000);

  it('an Open311 client lists services, files a request and follows it until a department is responsible', async () => {
    const key = demo['demo-hotline-app']!.api_key!;
    const services = await call('/open311/v2/services.json');
    expect(services.status).toBe(200);
    const list = services.body as unknown as { service_code: string }[];
    expect(list.map((service) => service.service_code)).toContain('market.food');
    const definition = await call('/open311/v2/services/market.food.json');
    expect(definition.body.attributes).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'cityCode', required: true })]),
    );

    const filed = await call(
      '/open311/v2/requests.json',
      form({
        api_key: key,
        service_code: 'market.food',
        description: '餐馆使用过期食材',
        phone: '13812340000',
        'attribute[cityCode]': '370100',
        'attribute[districtCode]': '370103',
        lat: '36.65',
        long: '117.0',
      }),
    );
    expect(filed.status).toBe(201);
    const id = (filed.body as unknown as { service_request_id: string }[])[0]!.service_request_id;
    let request: Record<string, unknown> = {};
    for (let i = 0; i < 80 && !request.agency_responsible; i++) {
      const answer = await call(`/open311/v2/requests/${id}.json?api_key=${encodeURIComponent(key)}`);
      expect(answer.status).toBe(200);
      request = (answer.body as unknown as Record<string, unknown>[])[0]!;
      if (!request.agency_responsible) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(request).toMatchObject({
      service_request_id: id,
      status: 'open',
      agency_responsible: 'dept-market',
      service_code: 'market.food',
      lat: 36.65,
    });
    expect(JSON.stringify(request)).not.toContain('13812340000');
    const mine = await call(`/open311/v2/requests.json?api_key=${encodeURIComponent(key)}&service_code=market.food`);
    expect((mine.body as unknown as { service_request_id: string }[]).map((r) => r.service_request_id)).toContain(id);
  });

  it('Open311 errors come as its error list: a bad api_key 401, bad fields 400 naming each, nothing filed', async () => {
    const key = demo['demo-hotline-app']!.api_key!;
    const before = await call(`/open311/v2/requests.json?api_key=${encodeURIComponent(key)}`);
    const refused = await call(
      '/open311/v2/requests.json',
      form({ api_key: 'not-a-key-of-anyone-here', service_code: 'market.food' }),
    );
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual([{ code: 401, description: 'api_key is missing or not valid' }]);
    const bad = await call(
      '/open311/v2/requests.json',
      form({
        api_key: key,
        service_code: 'market.unknown',
        description: '',
        phone: '12345',
        'attribute[cityCode]': '110100',
      }),
    );
    expect(bad.status).toBe(400);
    const descriptions = (bad.body as unknown as { code: number; description: string }[]).map((e) => e.description);
    expect(descriptions).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^service_code/),
        expect.stringMatching(/^description/),
        expect.stringMatching(/^phone/),
      ]),
    );
    const wrongCity = await call(
      '/open311/v2/requests.json',
      form({
        api_key: key,
        service_code: 'market.food',
        description: 'x',
        phone: '13812340000',
        'attribute[cityCode]': '110100',
      }),
    );
    expect(wrongCity.status).toBe(400);
    expect(JSON.stringify(wrongCity.body)).toMatch(/cityCode/);
    expect((await call('/open311/v2/services/market.nothing.json')).status).toBe(404);
    const after = await call(`/open311/v2/requests.json?api_key=${encodeURIComponent(key)}`);
    expect((after.body as unknown as unknown[]).length).toBe((before.body as unknown as unknown[]).length);
  });

  it('bad input to POST /tickets is a 400 problem naming the field; no token is a 401', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ category: 'housing.unknown' }, /body\.category/],
      [{ location: { cityCode: '110100' } }, /body\.location\.cityCode/],
      [{ location: { cityCode: '370100', districtCode: '370202' } }, /body\.location\.districtCode/],
      [{ description: '   ' }, /body\.description/],
      [{ description: 'x'.repeat(5001) }, /body\.description/],
      [{ contact: { phone: '12345678901' } }, /body\.contact\.phone/],
      [{ channel: 'open311' }, /body\.channel/],
    ];
    for (const [overrides, path] of cases) {
      const answer = await call('/tickets', json(ticket(overrides), alice.token));
      expect(answer.status, JSON.stringify(overrides).slice(0, 80)).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/problem\+json/);
      expect(JSON.stringify(answer.body.errors)).toMatch(path);
    }
    expect((await call('/tickets', json(ticket()))).status).toBe(401);
  });

  it('a citizen files; the department accepts (of two at once, one wins), resolves; the citizen closes with a rating', async () => {
    const filed = await call('/tickets', json(ticket({ contact: { phone: '13911112222' } }), alice.token));
    expect(filed.status).toBe(202);
    expect(filed.body).toMatchObject({ status: 'RECEIVED' });
    const id = String(filed.body.ticketId);
    const routed = await until(`/tickets/${id}`, alice.token, (body) => body.status === 'ROUTED');
    expect(routed).toMatchObject({
      department: 'dept-housing',
      slaState: 'on_time',
      contact: { phone: '13911112222' },
    });
    expect(routed.slaDueAt).toEqual(expect.any(String));

    // Strangers: another citizen, another department.
    expect((await call(`/tickets/${id}`, bearer(bob.token))).status).toBe(403);
    expect((await call(`/tickets/${id}`, bearer(transport))).status).toBe(403);
    expect((await call(`/tickets/${id}/actions`, json({ action: 'accept' }, transport))).status).toBe(403);
    expect((await call(`/tickets/${id}/actions`, json({ action: 'close', rating: 5 }, bob.token))).status).toBe(403);
    // Not yet accepted: resolving is not a move the state machine allows.
    expect((await call(`/tickets/${id}/actions`, json({ action: 'resolve', reply: 'x' }, housing))).status).toBe(409);

    const accepts = await Promise.all(
      [1, 2, 3].map(() => call(`/tickets/${id}/actions`, json({ action: 'accept' }, housing))),
    );
    expect(accepts.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    expect(
      (await call(`/tickets/${id}/actions`, json({ action: 'extend', days: 2, reason: '需现场勘查' }, housing))).status,
    ).toBe(200);
    expect(
      (await call(`/tickets/${id}/actions`, json({ action: 'extend', days: 2, reason: '再延' }, housing))).status,
    ).toBe(409);
    const resolved = await call(
      `/tickets/${id}/actions`,
      json({ action: 'resolve', reply: '已联系物业修复电梯' }, housing),
    );
    expect(resolved.body).toMatchObject({ status: 'RESOLVED', reply: '已联系物业修复电梯' });
    const closed = await call(`/tickets/${id}/actions`, json({ action: 'close', rating: 5 }, alice.token));
    expect(closed.body).toMatchObject({ status: 'CLOSED', rating: 5 });
    const history = (closed.body.history as { action: string }[]).map((h) => h.action);
    expect(history).toEqual(['file', 'route', 'accept', 'extend', 'resolve', 'close']);

    const queue = await call('/departments/dept-housing/tickets?status=CLOSED', bearer(housing));
    expect((queue.body.tickets as { ticketId: string }[]).map((t) => t.ticketId)).toContain(id);
    expect((await call('/departments/dept-housing/tickets', bearer(transport))).status).toBe(403);
    expect((await call('/departments/dept-housing/tickets?sla=late', bearer(housing))).status).toBe(400);
  });

  it('a repeat report within 24 h is linked to the open ticket, not routed twice', async () => {
    const body = ticket({ category: 'transport.road', contact: { phone: '13933334444' } });
    const first = String((await call('/tickets', json(body, alice.token))).body.ticketId);
    await until(`/tickets/${first}`, alice.token, (t) => t.status === 'ROUTED');
    const second = String((await call('/tickets', json(body, alice.token))).body.ticketId);
    const linked = await until(`/tickets/${second}`, alice.token, (t) => t.status !== 'RECEIVED');
    expect(linked).toMatchObject({ status: 'DUPLICATE', duplicateOf: first, department: null });
  });

  it('a poison message reaches the DLQ at once with its reason; tickets behind it are routed', async () => {
    const sqs = localClients(env.endpoints, env.region).sqs;
    await sqs.send(
      new SendMessageCommand({ QueueUrl: env.queues.hotlineRoutingQueue!, MessageBody: 'poison: not a ticket' }),
    );
    const filed = await call(
      '/tickets',
      json(ticket({ category: 'transport.bus', contact: { phone: '13955556666' } }), alice.token),
    );
    await until(`/tickets/${filed.body.ticketId}`, alice.token, (t) => t.status === 'ROUTED');
    let reason: string | undefined;
    for (let i = 0; i < 40 && !reason; i++) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: env.queues.hotlineRoutingDeadLetters!,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
        }),
      );
      reason = got.Messages?.find((m) => m.Body === 'poison: not a ticket')?.MessageAttributes?.reason?.StringValue;
    }
    expect(reason).toBe('the message is not JSON');
  });

  it.skipIf(!chromiumPath)(
    'the department work queue in headless Chromium: SSO sign-in, tickets by SLA state, accept',
    async () => {
      const filed = await call(
        '/tickets',
        json(ticket({ contact: { phone: '13977778888' }, description: '楼顶漏水' }), alice.token),
      );
      const id = String(filed.body.ticketId);
      await until(`/tickets/${id}`, alice.token, (t) => t.status === 'ROUTED');
      // Any account signs in through the SSO; the work-queue client gives the token its department.
      const staff = alice;
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
        await page.goto(`${target.apiUrl}/hotline/workqueue?client_id=workqueue-dept-housing`);
        await page.fill('#username', staff.idNumber);
        await page.fill('#password', PASSWORD);
        await page.click('button[type=submit]');
        await page.waitForURL(/\/hotline\/workqueue$/);
        expect(await page.textContent('h1')).toContain('dept-housing');
        const row = page.locator(`#on_time tr[data-ticket="${id}"]`);
        expect(await row.count()).toBe(1);
        await row.locator('button[value=accept]').click();
        await page.waitForURL(/message=/);
        expect(await page.textContent('[role=status]')).toBe(`accept: ${id}`);
        expect(await page.locator(`#on_time tr[data-ticket="${id}"] td:nth-child(2)`).textContent()).toBe('ACCEPTED');
      } finally {
        await browser.close();
      }
      const after = await call(`/tickets/${id}`, bearer(housing));
      expect(after.body).toMatchObject({ status: 'ACCEPTED' });
    },
  );
});
