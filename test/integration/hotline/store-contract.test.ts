import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { dynamoTicketStore, INDEXES } from '../../../functions/hotline/dynamodb/tickets.ts';
import { ticketStoreContract } from '../../contract/hotline/store-contract.ts';
import { testClients } from '../../support/aws.ts';

const clients = testClients();
const documents = DynamoDBDocumentClient.from(clients.dynamodb);
const S = 'S' as const;
const index = (name: string, pk: string, sk: string) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: pk, KeyType: 'HASH' as const },
    { AttributeName: sk, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

/** The hotline table as infra/capabilities/hotline/data.ts declares it: pk/sk and four indexes. */
async function hotlineTable(): Promise<string> {
  const name = `hotline-${randomUUID().slice(0, 8)}`;
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        'pk',
        'sk',
        'department',
        'createdAt',
        'escalatedTo',
        'timerShard',
        'nextTimerAt',
        'filerKey',
      ].map((AttributeName) => ({ AttributeName, AttributeType: S })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        index(INDEXES.byDepartment, 'department', 'createdAt'),
        index(INDEXES.escalations, 'escalatedTo', 'createdAt'),
        index(INDEXES.timers, 'timerShard', 'nextTimerAt'),
        index(INDEXES.byFiler, 'filerKey', 'createdAt'),
      ],
    }),
  );
  return name;
}

// One table for the file: every case uses ids and departments of its own.
let table: Promise<string> | undefined;
ticketStoreContract('the DynamoDB adapter', async () => dynamoTicketStore(documents, await (table ??= hotlineTable())));
