import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { ApiKeys } from '../ports.ts';

/**
 * Open311 api_keys are the identity capability's: `dgov clients create --scopes open311` stores the
 * SHA-256 of the key in the client and a lookup item `apikey#<hash>` beside it (functions/identity/
 * dynamodb/clients.ts). The hotline reads that item, read-only, and sees nothing else of the table.
 */
export const identityApiKeys =
  (documents: DynamoDBDocumentClient, table: string): ApiKeys =>
  async (apiKey) => {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(apiKey)) return undefined;
    const hash = createHash('sha256').update(apiKey).digest('base64url');
    const answer = await documents.send(
      new GetCommand({ TableName: table, Key: { pk: `apikey#${hash}`, sk: 'apikey' }, ConsistentRead: true }),
    );
    const item = answer.Item as { clientId?: string; department?: string; scopes?: string[] } | undefined;
    if (!item?.clientId || !item.scopes?.includes('open311')) return undefined;
    return {
      clientId: item.clientId,
      scopes: item.scopes,
      ...(item.department ? { department: item.department } : {}),
    };
  };
