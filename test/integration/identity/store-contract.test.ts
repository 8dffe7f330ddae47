import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { testClients } from '../../support/aws.ts';
import { identityStoreContract } from '../../contract/identity/store-contract.ts';

const clients = testClients();
const documents = DynamoDBDocumentClient.from(clients.dynamodb);

/** A pk/sk table like the stateful stack's (its TTL attribute, expiresAt, plays no part here). */
async function createTable(name: string) {
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

// Each test gets tables of its own, so nothing leaks between tests.
identityStoreContract('the DynamoDB adapter', async () => {
  const suffix = randomUUID().slice(0, 8);
  const tables = { identity: `identity-${suffix}`, control: `control-${suffix}` };
  await Promise.all([createTable(tables.identity), createTable(tables.control)]);
  return dynamoIdentityStore(documents, tables);
});
