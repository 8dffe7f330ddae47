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
  replacePasswordHash: (account, passwordHash) => {
    // Both records, each only if it still holds the hash the caller saw: a password changed meanwhile stays.
    const replace = (pk: string) => ({
      Update: {
        TableName: table.name,
        Key: { pk, sk: 'account' },
        UpdateExpression: 'SET passwordHash = :new',
        ConditionExpression: 'passwordHash = :old',
        ExpressionAttributeValues: { ':new': passwordHash, ':old': account.passwordHash },
      },
    });
    const both = [replace(`identifier#${account.identifier}`), replace(`account#${account.accountId}`)];
    return unlessConditionFails(
      async () => {
        await table.documents.send(new TransactWriteCommand({ TransactItems: both }));
        return 'replaced' as const;
      },
      () => 'changed' as const,
    );
  },
  deleteAccount: async (account) => {
    const remove = (pk: string) => ({
      Delete: {
        TableName: table.name,
        Key: { pk, sk: 'account' },
        ConditionExpression: 'accountId = :id',
        ExpressionAttributeValues: { ':id': account.accountId },
      },
    });
    const both = [remove(`identifier#${account.identifier}`), remove(`account#${account.accountId}`)];
    await unlessConditionFails(
      () => table.documents.send(new TransactWriteCommand({ TransactItems: both })),
      () => undefined, // not this account (any more): nothing of it to undo
    );
  },
  accountByIdentifier: (identifier) => table.get<Account>(`identifier#${identifier}`, 'account', true),
  account: (accountId) => table.get<Account>(`account#${accountId}`, 'account', true),
});
