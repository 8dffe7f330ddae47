import { DeleteCommand, DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { dynamoIdentityStore } from '../../../functions/identity/store.ts';
import { SINGLE_TABLE } from '../../../infra/replication.ts';
import { createSingleTable } from '../../../local/single-table.ts';
import { identityTtlContract } from '../../contract/identity/ttl-contract.ts';
import { testClients } from '../../support/aws.ts';

const clients = testClients();
const documents = DynamoDBDocumentClient.from(clients.dynamodb);
// The attribute the deployed table's TTL reads: the sweep below deletes by it, as DynamoDB would.
const ttlAttribute = SINGLE_TABLE.timeToLiveAttribute!;

identityTtlContract('the DynamoDB adapter', async () => {
  const suffix = randomUUID().slice(0, 8);
  const tables = { identity: `identity-${suffix}`, control: `control-${suffix}` };
  await Promise.all([
    createSingleTable(clients.dynamodb, tables.identity),
    createSingleTable(clients.dynamodb, tables.control),
  ]);
  const item = async (pk: string) => {
    const sk = pk.slice(0, pk.indexOf('#'));
    const found = await documents.send(new GetCommand({ TableName: tables.identity, Key: { pk, sk } }));
    return found.Item;
  };
  return {
    store: dynamoIdentityStore(documents, tables),
    timeToLive: async (pk) => (await item(pk))?.[ttlAttribute] as number | undefined,
    async expireItems(now) {
      const { Items = [] } = await documents.send(new ScanCommand({ TableName: tables.identity }));
      for (const expired of Items.filter(
        (found) => typeof found[ttlAttribute] === 'number' && found[ttlAttribute] <= now,
      ))
        await documents.send(
          new DeleteCommand({ TableName: tables.identity, Key: { pk: expired.pk, sk: expired.sk } }),
        );
    },
  };
});
