import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Client } from '../model.ts';
import type { ClientStore } from '../ports.ts';
import { unlessConditionFails, type IdentityTable } from './table.ts';

export const dynamoClientStore = (table: IdentityTable): ClientStore => ({
  client: (clientId) => table.get<Client>(`client#${clientId}`, 'client', true),
  putClient: (client) => {
    const item = { pk: `client#${client.clientId}`, sk: 'client', ...client };
    return unlessConditionFails(
      async () => {
        await table.documents.send(
          new PutCommand({ TableName: table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        return 'created' as const;
      },
      () => 'exists' as const,
    );
  },
});
