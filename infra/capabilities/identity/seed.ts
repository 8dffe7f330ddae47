import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type NewClient } from '../../../cli/identity/clients.ts';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { registerClientOrigins } from '../../../shared/cors-origins.ts';
import type { LocalSeed } from '../capability.ts';

/** The demo clients `npm start` registers for local use (README, "Demo clients"). */
const DEMO_CLIENTS: NewClient[] = [
  {
    clientId: 'demo-portal',
    kind: 'public',
    scopes: ['openid', 'profile', 'offline_access'],
    redirectUris: ['http://127.0.0.1:8080/callback'],
  },
  {
    clientId: 'demo-app',
    kind: 'public',
    scopes: ['openid', 'profile', 'offline_access'],
    redirectUris: ['http://127.0.0.1:8081/callback'],
  },
  {
    clientId: 'demo-department',
    kind: 'confidential',
    scopes: ['licences:issue', 'payments:orders', 'tickets:act'],
    redirectUris: [],
    department: 'dept-market',
  },
  {
    clientId: 'demo-callcentre',
    kind: 'confidential',
    scopes: ['open311', 'tickets:act'],
    redirectUris: [],
    department: 'dept-12345',
  },
  // Licences: the police issue certificates of no criminal record; the payments capability
  // issues electronic payment receipts as dept-finance (docs/licences.md).
  {
    clientId: 'demo-police',
    kind: 'confidential',
    scopes: ['licences:issue'],
    redirectUris: [],
    department: 'dept-police',
  },
  {
    clientId: 'payments-receipts',
    kind: 'confidential',
    scopes: ['licences:issue'],
    redirectUris: [],
    department: 'dept-finance',
  },
  // The 12345 hotline (docs/hotline.md): departments that handle tickets, and the app and WeChat channels.
  ...['dept-housing', 'dept-transport', 'dept-environment', 'dept-health', 'dept-supervisor'].map(
    (department): NewClient => ({
      clientId: `demo-${department}`,
      kind: 'confidential',
      scopes: ['tickets:act'],
      redirectUris: [],
      department,
    }),
  ),
  { clientId: 'demo-hotline-app', kind: 'confidential', scopes: ['tickets:file', 'open311'], redirectUris: [] },
  { clientId: 'demo-hotline-wechat', kind: 'confidential', scopes: ['tickets:file'], redirectUris: [] },
];

/**
 * Registers the demo clients once and keeps their secrets in .local/demo-clients.json, so a
 * restart neither changes them nor loses them. `--fresh` starts over with new secrets.
 */
export const seedDemoClients: LocalSeed = async (env, clients, dataDir) => {
  const file = join(dataDir, 'demo-clients.json');
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const documents = DynamoDBDocumentClient.from(clients.dynamodb);
  const store = dynamoIdentityStore(documents, {
    identity: env.tables.identityTable!,
    control: env.tables.controlTable!,
  });
  for (const demo of DEMO_CLIENTS) {
    // Again on every start (it changes nothing twice), so data from before CORS gets its origins too.
    await registerClientOrigins(documents, env.tables.controlTable!, demo.clientId, demo.redirectUris);
    if (await store.client(demo.clientId)) continue;
    known[demo.clientId] = {
      ...(await createClient(demo, store)),
      redirect_uris: demo.redirectUris,
      scopes: demo.scopes.join(' '),
    };
  }
  writeFileSync(file, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600 });
  return `demo clients (ids and secrets): ${file}`;
};
