import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../errors.ts';

/**
 * The jti deny-list in the control table (`deny#<jti>`, expiring with the token), written by
 * the identity service on revocation. Sensitive operations pass this to the verifier; a table
 * that cannot be read means "cannot tell", which is a 503, never a silent pass.
 */
export const controlTableDenyList =
  (documents: DynamoDBDocumentClient, table: string) =>
  async (jti: string): Promise<boolean> => {
    try {
      const { Item } = await documents.send(
        new GetCommand({ TableName: table, Key: { pk: `deny#${jti}`, sk: 'jti' }, ConsistentRead: true }),
      );
      return Boolean(Item);
    } catch {
      throw new DependencyUnavailableError('dynamodb');
    }
  };
