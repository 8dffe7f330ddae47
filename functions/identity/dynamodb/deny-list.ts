import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { controlTableDenyList } from '../../../shared/auth/deny-list.ts';
import type { DenyList } from '../ports.ts';
import { guard } from './table.ts';

/** The control table's jti deny-list, which every function that refuses revoked tokens reads. */
export const dynamoDenyList = (documents: DynamoDBDocumentClient, controlTable: string): DenyList => ({
  async deny(jti, exp) {
    const item = { pk: `deny#${jti}`, sk: 'jti', expiresAt: exp };
    await guard(() => documents.send(new PutCommand({ TableName: controlTable, Item: item })));
  },
  isDenied: controlTableDenyList(documents, controlTable),
});
