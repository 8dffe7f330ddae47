import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SsoSession } from '../model.ts';
import type { SessionStore } from '../ports.ts';
import { guard, unlessConditionFails, type IdentityTable } from './table.ts';

export function dynamoSessionStore(table: IdentityTable): SessionStore {
  const key = (sessionHash: string) => ({ pk: `session#${sessionHash}`, sk: 'session' });
  return {
    putSession: (session) => table.put({ ...key(session.sessionHash), ...session }),
    session: (sessionHash) => table.get<SsoSession>(key(sessionHash).pk, 'session', true),
    async addFamilyToSession(sessionHash, familyId) {
      const append = new UpdateCommand({
        TableName: table.name,
        Key: key(sessionHash),
        UpdateExpression: 'SET families = list_append(if_not_exists(families, :empty), :family)',
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(families, :id)',
        ExpressionAttributeValues: { ':empty': [], ':family': [familyId], ':id': familyId },
      });
      const added = await unlessConditionFails(
        async () => {
          await table.documents.send(append);
          return 'added' as const;
        },
        () => undefined,
      );
      if (added) return added;
      // Linked already (a retry), or the session ended meanwhile: then the caller must not hand out what it made.
      return (await table.get(key(sessionHash).pk, 'session', true)) ? 'added' : 'ended';
    },
    async deleteSession(sessionHash) {
      // ALL_OLD: the families as the delete found them; one linked after it is refused (above).
      const deleted = await guard(() =>
        table.documents.send(
          new DeleteCommand({ TableName: table.name, Key: key(sessionHash), ReturnValues: 'ALL_OLD' }),
        ),
      );
      if (!deleted.Attributes) return undefined;
      const { pk: _pk, sk: _sk, ...session } = deleted.Attributes;
      return session as SsoSession;
    },
  };
}
