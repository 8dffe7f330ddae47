import type { Client } from '../model.ts';
import type { IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';
import { signAccessToken, type SigningDeps, type TokenResponse, tokenResponse } from './token-minting.ts';

/** grant_type=client_credentials: a confidential client's own token, within its scopes. */
export async function clientCredentialsGrant(
  form: Record<string, string | undefined>,
  client: Client,
  deps: SigningDeps & Pick<IdentityDeps, 'audit'>,
  requestId: string,
): Promise<TokenResponse> {
  if (client.kind !== 'confidential') {
    throw new OAuthError('unauthorized_client', 'client_credentials needs a confidential client');
  }
  const requested = (form.scope ?? client.scopes.join(' ')).split(' ').filter(Boolean);
  if (requested.some((scope) => !client.scopes.includes(scope))) {
    throw new OAuthError('invalid_scope', 'the client may not request these scopes');
  }
  const scope = requested.join(' ');
  const access = await signAccessToken(client.clientId, client, scope, deps);
  await deps.audit({
    actor: { kind: 'client', id: client.clientId, clientId: client.clientId },
    action: 'identity.token.issue',
    resource: `client/${client.clientId}`,
    outcome: 'success',
    requestId,
  });
  return tokenResponse(access.token, scope);
}
