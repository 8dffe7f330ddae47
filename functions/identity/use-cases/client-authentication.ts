import type { Client } from '../model.ts';
import { hashSecret, sameSecret } from '../passwords.ts';
import type { IdentityDeps } from './deps.ts';
import { OAuthError } from './oauth-error.ts';

export interface ClientCredentials {
  clientId?: string;
  clientSecret?: string;
}

/** Where a client authenticated, for the audit trail of a refusal. */
export interface ClientAuthContext {
  endpoint: 'token' | 'revocation' | 'introspection';
  requestId: string;
  sourceIp?: string;
}

export type ClientAuthDeps = Pick<IdentityDeps, 'clients' | 'audit'>;

/**
 * client_secret_basic or client_secret_post for confidential clients; public clients only name themselves.
 * A refusal is audited as `identity.client.auth`, denied, with the client id the caller claimed (never the secret).
 */
export async function authenticateClient(
  credentials: ClientCredentials,
  deps: ClientAuthDeps,
  context: ClientAuthContext,
  requireConfidential = false,
): Promise<Client> {
  const client = credentials.clientId ? await deps.clients.client(credentials.clientId) : undefined;
  let refusal: OAuthError | undefined;
  if (!client) refusal = new OAuthError('invalid_client', 'unknown client or bad credentials');
  else if (client.kind === 'confidential') {
    if (!secretMatches(credentials.clientSecret, client)) {
      refusal = new OAuthError('invalid_client', 'unknown client or bad credentials');
    }
  } else if (requireConfidential || credentials.clientSecret) {
    refusal = new OAuthError('invalid_client', 'this client cannot authenticate here');
  }
  if (!refusal && client) return client;
  await auditRefusedClient(credentials.clientId, deps, context);
  throw refusal;
}

/** Longer claimed ids are cut: the audit trail records who was claimed, not whatever was sent. */
const CLAIMED_ID_LIMIT = 128;

/** Audits a refused client authentication: the claimed client id (if any), the endpoint, never a secret. */
export async function auditRefusedClient(
  claimedId: string | undefined,
  deps: Pick<IdentityDeps, 'audit'>,
  context: ClientAuthContext,
): Promise<void> {
  const id = claimedId?.slice(0, CLAIMED_ID_LIMIT);
  await deps.audit({
    actor: id ? { kind: 'client', id, clientId: id } : { kind: 'anonymous', id: 'unknown' },
    action: 'identity.client.auth',
    resource: `oauth2/${context.endpoint}`,
    outcome: 'denied',
    requestId: context.requestId,
    ...(context.sourceIp ? { sourceIp: context.sourceIp } : {}),
  });
}

const secretMatches = (secret: string | undefined, client: Client) =>
  Boolean(secret && client.secretHash && sameSecret(hashSecret(secret), client.secretHash));
