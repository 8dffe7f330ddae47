import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../shared/observability.ts';
import {
  CONFIDENTIAL,
  identityEvent,
  identityHandler,
  identityStore,
  lambdaContext,
} from '../../support/identity-in-process.ts';

vi.mock(import('../../../functions/identity/store.ts'), () => ({ dynamoIdentityStore: () => identityStore }));
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => async () => undefined,
}));

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basicOf = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

async function post(path: string, authorization: string, body = 'grant_type=client_credentials&token=x') {
  const handler = await identityHandler();
  return handler(identityEvent({ method: 'POST', path, headers: { ...FORM, authorization }, body }), lambdaContext());
}

beforeEach(() => {
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  vi.spyOn(logger, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect'])('client_secret_basic on %s', (path) => {
  const refusedAsInvalidClient = (response: Awaited<ReturnType<typeof post>>) => {
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    expect(response.headers?.['www-authenticate']).toBe('Basic realm="dgov"');
    expect(JSON.parse(response.body ?? '')).toMatchObject({ error: 'invalid_client' });
  };

  it.each([
    ['a client id that is not percent-encoding', '%zz:secret'],
    ['a secret cut inside a UTF-8 sequence', `${CONFIDENTIAL.id}:%E0%A4%A`],
    ['a lone percent sign', '%:%'],
  ])('refuses %s with invalid_client', async (_, credentials) => {
    refusedAsInvalidClient(await post(path, basicOf(credentials)));
  });

  it('refuses credentials without the colon between id and secret', async () => {
    await identityHandler();
    refusedAsInvalidClient(await post(path, basicOf(`${CONFIDENTIAL.id}${CONFIDENTIAL.secret}`)));
  });

  it('still accepts well-formed credentials', async () => {
    await identityHandler();
    const response = await post(path, basicOf(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`));
    expect(response.statusCode).toBe(200);
  });
});
