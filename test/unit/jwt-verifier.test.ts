import { createHmac, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accessTokenVerifier, bearerToken, type KeySource, type VerifierOptions } from '../../shared/auth/verifier.ts';
import { UnauthorizedError } from '../../shared/errors.ts';

const ISSUER = 'https://id.example.gov.cn';
const AUDIENCE = 'dgov-api';
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z, injected: no test depends on the wall clock

const newKey = (kid: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JsonWebKey), kid, alg: 'ES256' } };
};
const current = newKey('key-1');
const rotated = newKey('key-2');
const stranger = newKey('key-1'); // same kid, another key

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs ES256 directly in ieee-p1363, independent of the code under test. */
function es256(
  claims: Record<string, unknown>,
  { key = current.privateKey, header = {} }: { key?: KeyObject; header?: Record<string, unknown> } = {},
): string {
  const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'key-1', ...header })}.${b64(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISSUER,
  sub: 'acc-1',
  aud: AUDIENCE,
  iat: NOW - 10,
  nbf: NOW - 10,
  exp: NOW + 900,
  jti: 'jti-1',
  scope: 'openid',
  client_id: 'portal',
  ...overrides,
});

/** A key source that records how it was called. */
function countingKeys(first: JsonWebKey[] = [current.jwk], refreshed: JsonWebKey[] = first) {
  const calls: (boolean | undefined)[] = [];
  const keys: KeySource = async (refresh) => {
    calls.push(refresh);
    return refresh ? refreshed : first;
  };
  return { keys, calls };
}

const verifier = (options: Partial<VerifierOptions> = {}) =>
  accessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: countingKeys().keys, now: () => NOW, ...options });

async function expectRefused(promise: Promise<unknown>, description?: RegExp): Promise<UnauthorizedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  const refusal = error as UnauthorizedError;
  expect(refusal.status).toBe(401);
  expect(refusal.headers['www-authenticate']).toMatch(/^Bearer/);
  expect(refusal.headers['www-authenticate']).toContain('error="invalid_token"');
  if (description) expect(refusal.detail).toMatch(description);
  return refusal;
}

describe('accessTokenVerifier', () => {
  it('accepts a valid ES256 token and returns its claims', async () => {
    const result = await verifier()(es256(claims()));
    expect(result).toMatchObject({
      iss: ISSUER,
      sub: 'acc-1',
      aud: AUDIENCE,
      jti: 'jti-1',
      scope: 'openid',
      client_id: 'portal',
    });
  });

  it('refuses a missing token and a malformed one', async () => {
    await expectRefused(verifier()(undefined), /required/);
    await expectRefused(verifier()(''), /required/);
    await expectRefused(verifier()('not.a.jwt'), /malformed/);
    await expectRefused(verifier()('only-one-part'), /malformed/);
  });

  it('refuses alg none', async () => {
    const unsigned = `${b64({ alg: 'none', kid: 'key-1' })}.${b64(claims())}.`;
    await expectRefused(verifier()(unsigned), /algorithm/);
    const unsignedNoKid = `${b64({ alg: 'none' })}.${b64(claims())}.`;
    await expectRefused(verifier()(unsignedNoKid), /algorithm/);
  });

  it('refuses HS256 signed with the public key JSON as the HMAC secret (algorithm confusion)', async () => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'key-1' })}.${b64(claims())}`;
    for (const secret of [
      JSON.stringify(current.jwk),
      JSON.stringify({ kty: current.jwk.kty, crv: current.jwk.crv, x: current.jwk.x, y: current.jwk.y }),
    ]) {
      const mac = createHmac('sha256', secret).update(input).digest('base64url');
      await expectRefused(verifier()(`${input}.${mac}`), /algorithm/);
    }
  });

  it('refuses a token whose header names no key', async () => {
    const input = `${b64({ alg: 'ES256' })}.${b64(claims())}`;
    const signature = sign('sha256', Buffer.from(input), {
      key: current.privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    await expectRefused(verifier()(`${input}.${signature}`), /names no key/);
  });

  it('refuses an unknown kid after exactly one refresh of the key set', async () => {
    const { keys, calls } = countingKeys();
    await expectRefused(verifier({ keys })(es256(claims(), { header: { kid: 'key-unknown' } })), /unknown key/);
    expect(calls.filter((refresh) => refresh === true)).toHaveLength(1);
    expect(calls).toHaveLength(2);
    expect(calls[0]).not.toBe(true);
  });

  it('does not refresh the key set when the kid is known', async () => {
    const { keys, calls } = countingKeys();
    await verifier({ keys })(es256(claims()));
    expect(calls).toEqual([undefined]);
  });

  it('accepts a token signed with a key rotated in since the key set was cached', async () => {
    const { keys, calls } = countingKeys([current.jwk], [current.jwk, rotated.jwk]);
    const token = es256(claims({ jti: 'jti-rotated' }), { key: rotated.privateKey, header: { kid: 'key-2' } });
    expect((await verifier({ keys })(token)).jti).toBe('jti-rotated');
    expect(calls.filter((refresh) => refresh === true)).toHaveLength(1);
  });

  it('refuses a bad signature: another key under the same kid, changed claims, a truncated signature', async () => {
    await expectRefused(verifier()(es256(claims(), { key: stranger.privateKey })), /signature/);
    const [header, , signature] = es256(claims()).split('.');
    await expectRefused(verifier()(`${header}.${b64(claims({ sub: 'acc-admin' }))}.${signature}`), /signature/);
    await expectRefused(verifier()(`${header}.${b64(claims())}.${signature!.slice(0, 40)}`), /signature/);
    const der = sign('sha256', Buffer.from(`${header}.${b64(claims())}`), current.privateKey).toString('base64url');
    await expectRefused(verifier()(`${header}.${b64(claims())}.${der}`), /signature/);
  });

  it('refuses another issuer', async () => {
    await expectRefused(verifier()(es256(claims({ iss: 'https://evil.example.com' }))), /issuer/);
    await expectRefused(verifier()(es256(claims({ iss: `${ISSUER}/` }))), /issuer/);
    await expectRefused(verifier()(es256(claims({ iss: undefined }))), /issuer/);
  });

  it('refuses another audience and accepts an audience array that contains ours', async () => {
    await expectRefused(verifier()(es256(claims({ aud: 'other-api' }))), /audience/);
    await expectRefused(verifier()(es256(claims({ aud: ['other-api', 'third-api'] }))), /audience/);
    await expectRefused(verifier()(es256(claims({ aud: undefined }))), /audience/);
    expect((await verifier()(es256(claims({ aud: ['other-api', AUDIENCE] })))).aud).toEqual(['other-api', AUDIENCE]);
  });

  it('accepts a token expired within the 60 s skew and refuses one expired beyond it', async () => {
    expect((await verifier()(es256(claims({ exp: NOW - 30 })))).sub).toBe('acc-1');
    await expectRefused(verifier()(es256(claims({ exp: NOW - 61 }))), /expired/);
    await expectRefused(verifier()(es256(claims({ exp: NOW - 3600 }))), /expired/);
  });

  it('refuses a token without a numeric exp', async () => {
    await expectRefused(verifier()(es256(claims({ exp: undefined }))), /expired/);
    await expectRefused(verifier()(es256(claims({ exp: String(NOW + 900) }))), /expired/);
  });

  it('refuses nbf in the future beyond the skew and accepts it within', async () => {
    await expectRefused(verifier()(es256(claims({ nbf: NOW + 61 }))), /not valid yet/);
    expect((await verifier()(es256(claims({ nbf: NOW + 30 })))).sub).toBe('acc-1');
  });

  it('caps clockSkewSeconds at 60', async () => {
    const lenient = verifier({ clockSkewSeconds: 600 });
    await expectRefused(lenient(es256(claims({ exp: NOW - 120 }))), /expired/);
    await expectRefused(lenient(es256(claims({ nbf: NOW + 120 }))), /not valid yet/);
    expect((await lenient(es256(claims({ exp: NOW - 30 })))).sub).toBe('acc-1');
  });

  it('honours a smaller clockSkewSeconds', async () => {
    await expectRefused(verifier({ clockSkewSeconds: 10 })(es256(claims({ exp: NOW - 30 }))), /expired/);
    expect((await verifier({ clockSkewSeconds: 10 })(es256(claims({ exp: NOW - 5 })))).sub).toBe('acc-1');
  });

  it('refuses a token without jti or sub', async () => {
    await expectRefused(verifier()(es256(claims({ jti: undefined }))), /id or subject/);
    await expectRefused(verifier()(es256(claims({ jti: 42 }))), /id or subject/);
    await expectRefused(verifier()(es256(claims({ sub: undefined }))), /id or subject/);
  });

  it('refuses a revoked jti and asks the deny-list about exactly that jti', async () => {
    const asked: string[] = [];
    const isRevoked = async (jti: string) => {
      asked.push(jti);
      return jti === 'jti-revoked';
    };
    await expectRefused(verifier({ isRevoked })(es256(claims({ jti: 'jti-revoked' }))), /revoked/);
    expect((await verifier({ isRevoked })(es256(claims({ jti: 'jti-live' })))).jti).toBe('jti-live');
    expect(asked).toEqual(['jti-revoked', 'jti-live']);
  });

  it('does not consult the deny-list for a token that already failed', async () => {
    const asked: string[] = [];
    const isRevoked = async (jti: string) => {
      asked.push(jti);
      return false;
    };
    await expectRefused(verifier({ isRevoked })(es256(claims({ iss: 'https://evil.example.com' }))));
    expect(asked).toEqual([]);
  });
});

describe('bearerToken', () => {
  it('takes the token from a Bearer authorization header, case-insensitively', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
  });

  it('answers undefined for other schemes, a missing header and a token with spaces', () => {
    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Token abc'])
      expect(bearerToken(header), String(header)).toBeUndefined();
  });
});
