import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { basic, claimsOf } from '../../support/oidc.ts';
import { target } from '../../support/target.ts';
import { loginForm, newCitizen, PASSWORD, postForm, refresh, tokensFor, userinfo } from './flows.ts';

/**
 * Identity under the conditions of the cloud, through HTTP against `npm start`: many sandboxes of
 * the identity function at once (local/lambda-host.ts), parallel requests racing for one account
 * or one refresh token, and a dependency failing in the middle of a refresh (local/fault-injection.ts).
 */

const env = () =>
  JSON.parse(readFileSync(join(target.localDir!, 'env.json'), 'utf8')) as { apiUrl: string; faults?: string };

/** A form POST from a loopback address of its own: each is another source to the per-source rate limit. */
function postFrom(localAddress: string, path: string, fields: Record<string, string>, headers: Record<string, string>) {
  const body = new URLSearchParams(fields).toString();
  return new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
    const sent = request(
      `${target.apiUrl}${path}`,
      {
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }),
        );
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

interface LogLine {
  /** `dgov-…/Identity/Handler#3`: the sandbox that wrote it (local/lambda-host.ts labels each). */
  sandbox: string;
  message?: string;
  reason?: string;
}

/** The `login refused` lines of these requests (npm start writes every sandbox's output to functions.log). */
async function refusals(requestIdPrefix: string, expected: number): Promise<LogLine[]> {
  let lines: LogLine[] = [];
  // The sandboxes' output reaches the file through a pipe: give the last lines a moment.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    lines = readFileSync(join(target.localDir!, 'functions.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes(`"requestId":"${requestIdPrefix}`) && line.includes('"message":"login refused"'))
      .map((line) => ({
        sandbox: /^\[([^\]]+)\]/.exec(line)![1]!,
        ...(JSON.parse(line.slice(line.indexOf('{'))) as Omit<LogLine, 'sandbox'>),
      }));
    if (lines.length >= expected) break;
    await sleep(100);
  }
  return lines;
}

const demoDepartment = () => {
  const demo = JSON.parse(readFileSync(join(target.localDir!, 'demo-clients.json'), 'utf8')) as Record<
    string,
    { client_secret: string }
  >;
  return basic('demo-department', demo['demo-department']!.client_secret);
};
const active = async (token: string) =>
  (await postForm('/oauth2/introspect', { token }, { authorization: demoDepartment() })).body.active;

describe.skipIf(target.name !== 'embedded' || !target.apiUrl)('identity under concurrency (npm start)', () => {
  afterEach(async () => {
    const faults = env().faults;
    if (faults) await fetch(`${faults}/faults`, { method: 'DELETE' });
  });

  it('checks at most 5 of 40 parallel wrong passwords, over several sandboxes, then refuses the right one as locked', async () => {
    const username = await newCitizen();
    // Scale the pool out first, so the burst's password checks do not compete with cold starts.
    const forms = await Promise.all(Array.from({ length: 4 }, () => loginForm()));
    const { fields, cookie } = forms[0]!;
    const tag = `lockout-${randomUUID()}`;
    // 40 sources: the per-source limit (20 a minute) must not be what stops them; the account lock must.
    const net = `127.${randomInt(1, 255)}`;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        postFrom(
          `${net}.${i + 1}.1`,
          '/oauth2/authorize',
          { ...fields, username, password: `wrong-password-${i}` },
          { cookie, 'x-request-id': `${tag}-${i}` },
        ),
      ),
    );
    // Nobody got in. On a starved machine some answers may be 503 (DynamoDB Local slower than the
    // SDK's timeouts, with Retry-After); a 500 is a defect.
    for (const answer of answers) {
      expect([401, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.retryAfter).toMatch(/^\d+$/);
    }
    const refused = answers.filter((answer) => answer.status === 401).length;
    const lines = await refusals(`${tag}-`, refused);
    expect(lines).toHaveLength(refused);
    const checked = lines.filter((line) => line.reason === 'bad-credentials').length;
    expect(checked).toBeLessThanOrEqual(5);
    expect(lines.filter((line) => line.reason === 'locked')).toHaveLength(refused - checked);
    expect(refused - checked, 'refused by the lock without a check').toBeGreaterThanOrEqual(30);
    // One invocation at a time per sandbox: the 40 were served by several at once.
    expect(new Set(lines.map((line) => line.sandbox)).size).toBeGreaterThanOrEqual(2);

    let right = { status: 503 };
    for (let attempt = 0; attempt < 3 && right.status === 503; attempt += 1) {
      right = await postFrom(
        `${net}.100.${attempt + 1}`,
        '/oauth2/authorize',
        { ...fields, username, password: PASSWORD },
        { cookie, 'x-request-id': `${tag}:right` },
      );
    }
    expect(right.status).toBe(401);
    expect((await refusals(`${tag}:right`, 1))[0]?.reason).toBe('locked');
  });

  it('gives two parallel refreshes with one token the same pair, or revokes the family with no token left valid', async () => {
    const tokens = await tokensFor(await newCitizen());
    const [first, second] = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    const statuses = [first.status, second.status].sort();
    if (statuses[0] === 200 && statuses[1] === 200) {
      // The retry grace: both got the one successor pair, and it works.
      expect(second.body.access_token).toBe(first.body.access_token);
      expect(second.body.refresh_token).toBe(first.body.refresh_token);
      expect((await userinfo(String(first.body.access_token))).status).toBe(200);
      expect((await refresh(String(first.body.refresh_token))).status).toBe(200);
    } else {
      // The race taken for theft: one answer, and a family in which nothing stays valid.
      expect(statuses).toEqual([200, 400]);
      const winner = first.status === 200 ? first : second;
      const loser = first.status === 200 ? second : first;
      expect(loser.body.error).toBe('invalid_grant');
      for (const access of [tokens.access_token, String(winner.body.access_token)]) {
        expect((await userinfo(access)).status).toBe(401);
        expect(await active(access)).toBe(false);
      }
      expect((await refresh(String(winner.body.refresh_token))).status).toBe(400);
    }
  });

  it('answers a refresh retried after a 503 with the same successor, and the user stays signed in', async () => {
    const faults = env().faults;
    expect(faults, 'npm start runs with DGOV_FAULT_INJECTION=1 under test/setup/target.ts').toBeDefined();
    const tokens = await tokensFor(await newCitizen());
    const sub = String(claimsOf(tokens.access_token).sub);
    // The refresh's audit event (its last step, after the token is used up) names the account: only it fails.
    const armed = await fetch(`${faults}/faults`, { method: 'POST', body: JSON.stringify({ bodyContains: sub }) });
    expect(armed.status).toBe(204);
    const failed = await refresh(tokens.refresh_token);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toMatch(/^\d+$/);
    await fetch(`${faults}/faults`, { method: 'DELETE' });

    const retried = await refresh(tokens.refresh_token);
    expect(retried.status).toBe(200);
    // Once more within the grace: the successor was fixed when the token was used up, so it is the same.
    const again = await refresh(tokens.refresh_token);
    expect(again.status).toBe(200);
    expect(again.body.refresh_token).toBe(retried.body.refresh_token);
    expect(again.body.access_token).toBe(retried.body.access_token);
    // Not taken for reuse: the family lives on, the old and new access tokens work, the successor rotates.
    expect((await userinfo(tokens.access_token)).status).toBe(200);
    expect((await userinfo(String(retried.body.access_token))).status).toBe(200);
    expect((await refresh(String(retried.body.refresh_token))).status).toBe(200);
  });
});
