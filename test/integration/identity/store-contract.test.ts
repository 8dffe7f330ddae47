import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { testClients } from '../../support/aws.ts';
import { identityStoreContract } from '../../contract/identity/store-contract.ts';
import { createSingleTable } from '../../../local/single-table.ts';

const clients = testClients();
const documents = DynamoDBDocumentClient.from(clients.dynamodb);

/** A pk/sk table like the stateful stack's (its TTL attribute, expiresAt, plays no part here). */
async function createTable(name: string) {
  await createSingleTable(clients.dynamodb, name);
}

// Each test gets tables of its own, so nothing leaks between tests.
identityStoreContract('the DynamoDB adapter', async () => {
  const suffix = randomUUID().slice(0, 8);
  const tables = { identity: `identity-${suffix}`, control: `control-${suffix}` };
  await Promise.all([createTable(tables.identity), createTable(tables.control)]);
  return dynamoIdentityStore(documents, tables);
});
