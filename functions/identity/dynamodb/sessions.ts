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
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':empty': [], ':family': [familyId] },
      });
      // The session ended meanwhile: nothing to link.
      await unlessConditionFails(
        () => table.documents.send(append),
        () => undefined,
      );
    },
    async deleteSession(sessionHash) {
      await guard(() => table.documents.send(new DeleteCommand({ TableName: table.name, Key: key(sessionHash) })));
    },
  };
}
