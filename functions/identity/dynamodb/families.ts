import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TokenFamily } from '../model.ts';
import type { TokenFamilyStore } from '../ports.ts';
import { guard, unlessConditionFails, type IdentityTable } from './table.ts';

export function dynamoTokenFamilyStore(table: IdentityTable): TokenFamilyStore {
  const key = (familyId: string) => ({ pk: `family#${familyId}`, sk: 'family' });
  return {
    putFamily: (family) => table.put({ ...key(family.familyId), ...family }),
    family: (familyId) => table.get<TokenFamily>(key(familyId).pk, 'family', true),
    async addAccessToFamily(familyId, jti, exp) {
      // An unknown family has no accessJtis to append to: DynamoDB refuses with a ValidationException.
      const append = new UpdateCommand({
        TableName: table.name,
        Key: key(familyId),
        UpdateExpression: 'SET accessJtis = list_append(accessJtis, :access)',
        ExpressionAttributeValues: { ':access': [{ jti, exp }] },
      });
      await guard(() => table.documents.send(append));
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
      return revoked?.Attributes as TokenFamily | undefined;
    },
  };
}
