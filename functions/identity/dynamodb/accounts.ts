import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Account } from '../model.ts';
import type { AccountStore } from '../ports.ts';
import { unlessConditionFails, type IdentityTable } from './table.ts';

/** An account is written twice, under its login name and under its id, in one transaction. */
export const dynamoAccountStore = (table: IdentityTable): AccountStore => ({
  createAccount: (account) => {
    const putNew = (pk: string) => ({
      Put: {
        TableName: table.name,
        Item: { pk, sk: 'account', ...account },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const both = [putNew(`identifier#${account.identifier}`), putNew(`account#${account.accountId}`)];
    return unlessConditionFails(
      async () => {
        await table.documents.send(new TransactWriteCommand({ TransactItems: both }));
        return 'created' as const;
      },
      () => 'exists' as const,
    );
  },
  accountByIdentifier: (identifier) => table.get<Account>(`identifier#${identifier}`, 'account', true),
  account: (accountId) => table.get<Account>(`account#${accountId}`, 'account', true),
});
