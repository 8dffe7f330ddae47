import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuthorizationCode } from '../model.ts';
import type { CodeStore } from '../ports.ts';
import { guard, type IdentityTable } from './table.ts';

export function dynamoCodeStore(table: IdentityTable): CodeStore {
  const key = (codeHash: string) => ({ pk: `code#${codeHash}`, sk: 'code' });
  return {
    // purgeAt: a code is meant to outlive its 60 s by 10 minutes, so that a replay is recognised as
    // one. The table's TTL reads expiresAt, though, so nothing enforces that longer life yet.
    putCode: (code) =>
      table.put({ ...key(code.codeHash), ...code, expiresAt: code.expiresAt, purgeAt: code.expiresAt + 600 }),
    async consumeCode(codeHash) {
      const found = await table.consumeOnce<AuthorizationCode>(key(codeHash).pk, 'code');
      return found && { code: found.item, replayed: found.again };
    },
    async linkCodeTokens(codeHash, familyId, accessJti) {
      const link = new UpdateCommand({
        TableName: table.name,
        Key: key(codeHash),
        UpdateExpression: 'SET familyId = :family, accessJti = :jti',
        ExpressionAttributeValues: { ':family': familyId, ':jti': accessJti },
      });
      await guard(() => table.documents.send(link));
    },
  };
}
