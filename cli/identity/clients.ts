import type { Client } from '../../functions/identity/model.ts';
import { hashSecret, newSecret } from '../../functions/identity/passwords.ts';
import type { ClientStore } from '../../functions/identity/ports.ts';
import { ConflictError, ValidationError } from '../../shared/errors.ts';

export interface NewClient {
  clientId: string;
  kind: 'confidential' | 'public';
  scopes: string[];
  redirectUris: string[];
  department?: string;
}

export interface CreatedClient {
  client_id: string;
  client_secret?: string;
  api_key?: string;
}

const CLIENT_ID = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const SCOPE = /^[a-z0-9:._-]+$/;

/** Registers a client; secrets and API keys are returned once and stored only as hashes. */
export async function createClient(input: NewClient, store: ClientStore, now = new Date()): Promise<CreatedClient> {
  const errors: { path: string; message: string }[] = [];
  if (!CLIENT_ID.test(input.clientId))
    errors.push({ path: 'id', message: 'lowercase letters, digits, . _ -; 2 to 64 characters' });
  if (input.scopes.some((scope) => !SCOPE.test(scope)))
    errors.push({ path: 'scopes', message: 'space-separated scope names' });
  for (const uri of input.redirectUris) {
    let url: URL | undefined;
    try {
      url = new URL(uri);
    } catch {
      url = undefined;
    }
    const local = url && url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (!url || url.hash || !(url.protocol === 'https:' || local))
      errors.push({ path: 'redirect-uri', message: `${uri}: https (or http on loopback), no fragment` });
  }
  if (input.kind === 'public' && input.redirectUris.length === 0)
    errors.push({ path: 'redirect-uri', message: 'a public client needs at least one redirect URI' });
  if (errors.length) throw new ValidationError('the client is not valid', errors);

  const secret = input.kind === 'confidential' ? newSecret() : undefined;
  const apiKey = input.scopes.includes('open311') ? newSecret(24) : undefined;
  const client: Client = {
    clientId: input.clientId,
    kind: input.kind,
    scopes: input.scopes,
    redirectUris: input.redirectUris,
    ...(input.department ? { department: input.department } : {}),
    ...(secret ? { secretHash: hashSecret(secret) } : {}),
    ...(apiKey ? { apiKeyHash: hashSecret(apiKey) } : {}),
    createdAt: now.toISOString(),
  };
  if ((await store.putClient(client)) === 'exists') throw new ConflictError(`client ${input.clientId} exists`);
  return {
    client_id: client.clientId,
    ...(secret ? { client_secret: secret } : {}),
    ...(apiKey ? { api_key: apiKey } : {}),
  };
}
