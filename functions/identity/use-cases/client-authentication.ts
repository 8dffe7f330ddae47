import type { Client } from '../model.ts';
import { hashSecret, sameSecret } from '../passwords.ts';
import type { IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';

export interface ClientCredentials {
  clientId?: string;
  clientSecret?: string;
}

/** client_secret_basic or client_secret_post for confidential clients; public clients only name themselves. */
export async function authenticateClient(
  credentials: ClientCredentials,
  deps: Pick<IdentityDeps, 'clients'>,
  requireConfidential = false,
): Promise<Client> {
  const client = credentials.clientId ? await deps.clients.client(credentials.clientId) : undefined;
  if (!client) throw new OAuthError('invalid_client', 'unknown client or bad credentials');
  if (client.kind === 'confidential') {
    if (!secretMatches(credentials.clientSecret, client)) {
      throw new OAuthError('invalid_client', 'unknown client or bad credentials');
    }
  } else if (requireConfidential || credentials.clientSecret) {
    throw new OAuthError('invalid_client', 'this client cannot authenticate here');
  }
  return client;
}

const secretMatches = (secret: string | undefined, client: Client) =>
  Boolean(secret && client.secretHash && sameSecret(hashSecret(secret), client.secretHash));
