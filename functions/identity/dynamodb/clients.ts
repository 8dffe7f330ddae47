import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Client } from '../model.ts';
import type { ClientStore } from '../ports.ts';
import { unlessConditionFails, type IdentityTable } from './table.ts';

/**
 * An Open311 client's api_key is presented alone (no client id), so beside the client an item
 * `apikey#<hash>` names it; the hotline reads that item (functions/hotline/dynamodb/api-keys.ts).
 * Both are written in one transaction, so neither exists without the other.
 */
const apiKeyItem = (client: Client) => ({
  pk: `apikey#${client.apiKeyHash}`,
  sk: 'apikey',
  clientId: client.clientId,
  scopes: client.scopes,
  ...(client.department ? { department: client.department } : {}),
});

export const dynamoClientStore = (table: IdentityTable): ClientStore => ({
  client: (clientId) => table.get<Client>(`client#${clientId}`, 'client', true),
  putClient: (client) => {
    const item = { pk: `client#${client.clientId}`, sk: 'client', ...client };
    const put = { TableName: table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' };
    return unlessConditionFails(
      async () => {
        if (client.apiKeyHash)
          await table.documents.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: put },
                {
                  Put: {
                    TableName: table.name,
                    Item: apiKeyItem(client),
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
              ],
            }),
          );
        else await table.documents.send(new PutCommand(put));
        return 'created' as const;
      },
      () => 'exists' as const,
    );
  },
});
