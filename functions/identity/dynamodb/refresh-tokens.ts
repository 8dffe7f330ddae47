import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RefreshToken } from '../model.ts';
import type { RefreshTokenStore } from '../ports.ts';
import { unlessConditionFails, type IdentityTable } from './table.ts';

export function dynamoRefreshTokenStore(table: IdentityTable): RefreshTokenStore {
  const pk = (tokenHash: string) => `refresh#${tokenHash}`;
  return {
    // Conditional: a retry storing the same successor again must never turn a used token unused.
    putRefresh: (token) =>
      unlessConditionFails(
        async () => {
          const item = { pk: pk(token.tokenHash), sk: 'refresh', ...token };
          await table.documents.send(
            new PutCommand({ TableName: table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
          );
          return 'created' as const;
        },
        () => 'exists' as const,
      ),
    refresh: (tokenHash) => table.get<RefreshToken>(pk(tokenHash), 'refresh', true),
    async consumeRefresh(tokenHash, successor) {
      const found = await table.consumeOnce<RefreshToken>(pk(tokenHash), 'refresh', successor && { successor });
      return found && { token: found.item, reused: found.again };
    },
  };
}
