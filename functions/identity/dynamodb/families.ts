import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TokenFamily } from '../model.ts';
import { FAMILY_KEPT_AFTER_EXPIRY_SECONDS, type TokenFamilyStore } from '../ports.ts';
import { fromKeptItem, toKeptItem } from './kept-items.ts';
import { unlessConditionFails, type IdentityTable } from './table.ts';

export function dynamoTokenFamilyStore(table: IdentityTable): TokenFamilyStore {
  const key = (familyId: string) => ({ pk: `family#${familyId}`, sk: 'family' });
  return {
    // Kept past its end (TTL attribute expiresAt = the purge time, validUntil = the family's own end).
    // Conditional: a retried exchange writing the family again must never reset a revoked one.
    putFamily: (family) =>
      unlessConditionFails(
        async () => {
          const item = { ...key(family.familyId), ...toKeptItem(family, FAMILY_KEPT_AFTER_EXPIRY_SECONDS) };
          await table.documents.send(
            new PutCommand({ TableName: table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
          );
          return 'created' as const;
        },
        () => 'exists' as const,
      ),
    async family(familyId) {
      const item = await table.get<TokenFamily>(key(familyId).pk, 'family', true);
      return item && fromKeptItem(item);
    },
    async addAccessToFamily(familyId, jti, exp) {
      // Checked and written in one request: a revocation either comes first (refused) or sees the token.
      const append = new UpdateCommand({
        TableName: table.name,
        Key: key(familyId),
        UpdateExpression: 'SET accessJtis = list_append(accessJtis, :access)',
        ConditionExpression: 'attribute_exists(pk) AND revoked = :false',
        ExpressionAttributeValues: { ':access': [{ jti, exp }], ':false': false },
      });
      return unlessConditionFails(
        async () => {
          await table.documents.send(append);
          return 'added' as const;
        },
        () => 'refused' as const,
      );
    },
    async revokeFamily(familyId) {
      const revoke = new UpdateCommand({
        TableName: table.name,
        Key: key(familyId),
        UpdateExpression: 'SET revoked = :true',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':true': true },
        ReturnValues: 'ALL_NEW',
      });
      const revoked = await unlessConditionFails(
        () => table.documents.send(revoke),
        () => undefined,
      );
      return revoked?.Attributes && fromKeptItem(revoked.Attributes as TokenFamily);
    },
  };
}
