import { describe, expect, it } from 'vitest';
import { userInfoHolder } from '../../../functions/licences/adapters/userinfo.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';

const claims = { sub: 'acc-1', jti: 'j-1', exp: String(Math.floor(Date.now() / 1000) + 600) };
const answering = (status: number, body: unknown, calls: string[] = []) =>
  (async (_url: string, init?: RequestInit) => {
    calls.push(String((init?.headers as Record<string, string>).authorization));
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;

describe("the holder behind a token, from identity's UserInfo", () => {
  it('is the account’s identifier and type, asked once per token', async () => {
    const calls: string[] = [];
    const holderOf = userInfoHolder(
      'http://id/oauth2/userinfo',
      answering(200, { sub: 'acc-1', account_type: 'citizen', identifier: '11010519491231002X' }, calls),
    );
    expect(await holderOf('token-1', claims)).toEqual({ kind: 'citizen', id: '11010519491231002X' });
    expect(await holderOf('token-1', claims)).toEqual({ kind: 'citizen', id: '11010519491231002X' });
    expect(calls).toEqual(['Bearer token-1']);
  });

  it('is nobody for a client token, another subject, or a refusal', async () => {
    expect(
      await userInfoHolder('u', answering(200, { sub: 'client', client_id: 'client' }))('t', claims),
    ).toBeUndefined();
    expect(
      await userInfoHolder('u', answering(200, { sub: 'acc-2', account_type: 'citizen', identifier: 'x' }))(
        't',
        claims,
      ),
    ).toBeUndefined();
    expect(await userInfoHolder('u', answering(401, { error: 'invalid_token' }))('t', claims)).toBeUndefined();
  });

  it('identity down or failing is a 503, not a 403', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(userInfoHolder('u', down)('t', claims)).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(userInfoHolder('u', answering(502, {}))('t', claims)).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});
