import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../cli/identity/clients.ts';
import { identityApiKeys } from '../../../functions/hotline/dynamodb/api-keys.ts';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { createSingleTable } from '../../../local/single-table.ts';
import { testClients } from '../../support/aws.ts';

const clients = testClients();
const documents = DynamoDBDocumentClient.from(clients.dynamodb);

describe('Open311 api_keys: written by identity at client creation, read by the hotline', () => {
  it('finds the client of a key created with scope open311, and nothing for any other key', async () => {
    const suffix = randomUUID().slice(0, 8);
    const tables = { identity: `identity-${suffix}`, control: `control-${suffix}` };
    await Promise.all([
      createSingleTable(clients.dynamodb, tables.identity),
      createSingleTable(clients.dynamodb, tables.control),
    ]);
    const store = dynamoIdentityStore(documents, tables);
    const created = await createClient(
      {
        clientId: 'callcentre-x',
        kind: 'confidential',
        scopes: ['open311', 'tickets:act'],
        redirectUris: [],
        department: 'dept-12345',
      },
      store,
    );
    const plain = await createClient(
      { clientId: 'no-open311', kind: 'confidential', scopes: ['tickets:act'], redirectUris: [] },
      store,
    );
    expect(plain.api_key).toBeUndefined();
    const lookup = identityApiKeys(documents, tables.identity);
    expect(await lookup(created.api_key!)).toEqual({
      clientId: 'callcentre-x',
      department: 'dept-12345',
      scopes: ['open311', 'tickets:act'],
    });
    expect(await lookup(`${created.api_key!.slice(0, -1)}A`)).toBeUndefined();
    expect(await lookup(created.client_secret!)).toBeUndefined();
    expect(await lookup("'; drop table --")).toBeUndefined();
    // The same client id again: neither the client nor a second key item is written.
    await expect(
      createClient({ clientId: 'callcentre-x', kind: 'confidential', scopes: ['open311'], redirectUris: [] }, store),
    ).rejects.toThrow(/exists/);
  });
});
