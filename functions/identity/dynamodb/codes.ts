import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuthorizationCode } from '../model.ts';
import { CODE_KEPT_AFTER_EXPIRY_SECONDS, type CodeStore } from '../ports.ts';
import { fromKeptItem, toKeptItem } from './kept-items.ts';
import { guard, type IdentityTable } from './table.ts';

export function dynamoCodeStore(table: IdentityTable): CodeStore {
  const key = (codeHash: string) => ({ pk: `code#${codeHash}`, sk: 'code' });
  return {
    // A code outlives its 60 s by 10 minutes, so that a replay is recognised as one: the TTL attribute
    // (expiresAt) holds that purge time, validUntil the code's own expiry.
    putCode: (code) => table.put({ ...key(code.codeHash), ...toKeptItem(code, CODE_KEPT_AFTER_EXPIRY_SECONDS) }),
    async code(codeHash) {
      const item = await table.get<AuthorizationCode & { sk: string }>(key(codeHash).pk, 'code', true);
      if (!item) return undefined;
      const { pk: _pk, sk: _sk, ...code } = item;
      return fromKeptItem(code);
    },
    async consumeCode(codeHash, answer) {
      const links = answer && { answer, familyId: answer.familyId, accessJti: answer.accessJti };
      const found = await table.consumeOnce<AuthorizationCode>(key(codeHash).pk, 'code', links);
      return found && { code: fromKeptItem(found.item), replayed: found.again };
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
