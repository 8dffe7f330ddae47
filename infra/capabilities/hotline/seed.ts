import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../../../cli/identity/clients.ts';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import type { LocalSeed } from '../capability.ts';

/** Departments with a demo work-queue page: `/hotline/workqueue?client_id=workqueue-<department>`. */
export const WORK_QUEUE_DEPARTMENTS = ['dept-housing', 'dept-transport', 'dept-environment', 'dept-supervisor'];

/**
 * The work-queue page signs in with a public PKCE client per department, whose redirect URI is the
 * page's callback on this API (its port is known only once `npm start` runs). Registered once, into
 * .local/demo-clients.json beside identity's demo clients.
 */
export const seedWorkQueueClients: LocalSeed = async (env, clients, dataDir) => {
  const file = join(dataDir, 'demo-clients.json');
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const store = dynamoIdentityStore(DynamoDBDocumentClient.from(clients.dynamodb), {
    identity: env.tables.identityTable!,
    control: env.tables.controlTable!,
  });
  const redirectUri = `${env.apiUrl.replace(/\/$/, '')}/hotline/workqueue/callback`;
  for (const department of WORK_QUEUE_DEPARTMENTS) {
    const clientId = `workqueue-${department}`;
    if (await store.client(clientId)) continue;
    const client = {
      clientId,
      kind: 'public' as const,
      scopes: ['openid', 'tickets:act'],
      redirectUris: [redirectUri],
      department,
    };
    known[clientId] = {
      ...(await createClient(client, store)),
      redirect_uris: client.redirectUris,
      scopes: 'openid tickets:act',
    };
  }
  writeFileSync(file, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600 });
  return `work queues: ${env.apiUrl}/hotline/workqueue?client_id=workqueue-dept-housing (sign in with any citizen account)`;
};
