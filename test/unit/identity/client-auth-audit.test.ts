import { describe, expect, it } from 'vitest';
import { authenticateClient } from '../../../functions/identity/use-cases/client-authentication.ts';
import { OAuthError } from '../../../functions/identity/use-cases/oauth-error.ts';
import { DEPT, identityWorld, PORTAL } from '../../support/identity-world.ts';

const at = (endpoint: 'token' | 'revocation' | 'introspection') =>
  ({ endpoint, requestId: `req-${endpoint}`, sourceIp: '203.0.113.7' }) as const;

describe('authenticateClient audits every refusal', () => {
  it.each([
    ['a wrong secret', { clientId: DEPT, clientSecret: 'not-the-secret' }, false, 'token'],
    ['no secret for a confidential client', { clientId: DEPT }, false, 'revocation'],
    ['an unknown client', { clientId: 'no-such-client', clientSecret: 'guess-123' }, false, 'token'],
    ['a public client sending a secret', { clientId: PORTAL, clientSecret: 'guess-456' }, false, 'revocation'],
    ['a public client at introspection', { clientId: PORTAL }, true, 'introspection'],
  ] as const)(
    '%s: identity.client.auth, denied, by the claimed client id, without the secret',
    async (_, credentials, confidential, endpoint) => {
      const w = await identityWorld();
      const refused = await authenticateClient(credentials, w.deps, at(endpoint), confidential).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(OAuthError);
      expect((refused as OAuthError).error).toBe('invalid_client');
      expect(w.events).toEqual([
        {
          actor: { kind: 'client', id: credentials.clientId, clientId: credentials.clientId },
          action: 'identity.client.auth',
          resource: `oauth2/${endpoint}`,
          outcome: 'denied',
          requestId: `req-${endpoint}`,
          sourceIp: '203.0.113.7',
        },
      ]);
      const secret = 'clientSecret' in credentials ? credentials.clientSecret : undefined;
      if (secret) expect(JSON.stringify(w.events)).not.toContain(secret);
    },
  );

  it('names an anonymous actor when no client id was sent, and cuts an over-long claimed id', async () => {
    const w = await identityWorld();
    await authenticateClient({}, w.deps, at('token')).catch(() => undefined);
    await authenticateClient({ clientId: 'c'.repeat(3000), clientSecret: 's' }, w.deps, at('token')).catch(
      () => undefined,
    );
    expect(w.events.map((event) => event.actor)).toEqual([
      { kind: 'anonymous', id: 'unknown' },
      { kind: 'client', id: 'c'.repeat(128), clientId: 'c'.repeat(128) },
    ]);
  });

  it('audits nothing when the client authenticates', async () => {
    const w = await identityWorld();
    expect(
      (await authenticateClient({ clientId: DEPT, clientSecret: w.deptSecret }, w.deps, at('token'))).clientId,
    ).toBe(DEPT);
    expect((await authenticateClient({ clientId: PORTAL }, w.deps, at('revocation'))).clientId).toBe(PORTAL);
    expect(w.events).toEqual([]);
  });
});
