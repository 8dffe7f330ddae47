import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signJwt } from '../../../shared/auth/jwt.ts';
import { fileSigner } from '../../../shared/crypto/signer.ts';
import { logger } from '../../../shared/observability.ts';
import {
  CONFIDENTIAL,
  ISSUER,
  identityEvent,
  identityHandler,
  identityStore,
  lambdaContext,
  TOKEN_KEY_FILES,
} from '../../support/identity-in-process.ts';

vi.mock(import('../../../functions/identity/store.ts'), () => ({ dynamoIdentityStore: () => identityStore }));
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => async () => undefined,
}));

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;

async function call(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}) {
  const handler = await identityHandler();
  const response = await handler(identityEvent({ method, path, headers, body }), lambdaContext());
  return { status: response.statusCode, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
}

/** client_secret_basic of the confidential client; its secret is set when the handler is loaded. */
const clientAuth = async () => {
  await identityHandler();
  return {
    ...FORM,
    authorization: `Basic ${Buffer.from(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`).toString('base64')}`,
  };
};

const issueToken = async () =>
  (await call('POST', '/oauth2/token', 'grant_type=client_credentials', await clientAuth())).json
    .access_token as string;

const introspect = async (token: string) =>
  (await call('POST', '/oauth2/introspect', `token=${token}`, await clientAuth())).json;

beforeEach(() => {
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('token keys after a rotation (DGOV_TOKEN_KEYS: the new key first, then the one it replaced)', () => {
  it('publishes both keys in the JWKS and signs new tokens with the first', async () => {
    const token = await issueToken();
    const jwks = (await call('GET', '/.well-known/jwks.json')).json as { keys: { kid: string }[] };
    expect(jwks.keys).toHaveLength(2);
    const [signingKid, retiredKid] = jwks.keys.map((key) => key.kid);
    expect(signingKid).not.toBe(retiredKid);
    expect(kidOf(token)).toBe(signingKid);
  });

  it('still honours a token the retired key signed, and refuses one signed by a key it never published', async () => {
    const claims = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const current = claims(await issueToken());
    const byRetired = await signJwt(fileSigner(TOKEN_KEY_FILES.retired), { ...current, iss: ISSUER }, 'at+jwt');
    expect(await introspect(byRetired)).toMatchObject({ active: true, client_id: CONFIDENTIAL.id });
    const strangerFile = join(mkdtempSync(join(tmpdir(), 'dgov-stranger-')), 'key.pem');
    writeFileSync(
      strangerFile,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );
    const byStranger = await signJwt(fileSigner(strangerFile), { ...current, iss: ISSUER }, 'at+jwt');
    expect(await introspect(byStranger)).toEqual({ active: false });
  });
});
