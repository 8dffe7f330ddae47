// Demo clients for the bench: a confidential client created in the identity table, and its token.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createClient } from '../cli/identity/clients.ts';
import { dynamoIdentityStore } from '../functions/identity/store.ts';
import type { LocalRuntime } from '../local/runtime.ts';

export interface BenchClient {
  clientId: string;
  /** `Basic …` for the token endpoint. */
  basic: string;
}

export async function benchClient(
  runtime: LocalRuntime,
  clientId: string,
  scopes: string[],
  department?: string,
): Promise<BenchClient> {
  const store = dynamoIdentityStore(DynamoDBDocumentClient.from(runtime.clients.dynamodb), {
    identity: runtime.environment.tables.identityTable!,
    control: runtime.environment.tables.controlTable!,
  });
  const { client_secret } = await createClient(
    { clientId, kind: 'confidential', scopes, redirectUris: [], ...(department ? { department } : {}) },
    store,
  );
  return { clientId, basic: `Basic ${Buffer.from(`${clientId}:${client_secret}`).toString('base64')}` };
}

/** POST /oauth2/token, client_credentials: the access token, or an error naming the answer. */
export async function clientToken(runtime: LocalRuntime, client: BenchClient, scope?: string): Promise<string> {
  const answer = await fetch(`${runtime.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: client.basic },
    body: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
  });
  if (answer.status !== 200) throw new Error(`POST /oauth2/token answered ${answer.status}: ${await answer.text()}`);
  return ((await answer.json()) as { access_token: string }).access_token;
}
