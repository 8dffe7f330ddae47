import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The browser origins of registered clients, in the control table: one item per origin and client
 * (`origin#<origin>` / `client#<id>`), written when a client is registered (`dgov clients create`,
 * the demo seed) and read by every HTTP function to answer CORS (shared/cors.ts). The control table
 * is the one every function may read, so no capability imports identity's.
 */

/** `https://portal.example.gov.cn/callback` → `https://portal.example.gov.cn`; what a browser sends as Origin. */
export function originsOf(redirectUris: readonly string[]): string[] {
  const origins = new Set<string>();
  for (const uri of redirectUris) {
    try {
      const { origin, protocol } = new URL(uri);
      if (protocol === 'https:' || protocol === 'http:') origins.add(origin);
    } catch {
      // createClient has refused such a URI already; an origin needs a URL.
    }
  }
  return [...origins];
}

/** Records the origins of a client's redirect URIs; writing them again changes nothing. */
export async function registerClientOrigins(
  documents: DynamoDBDocumentClient,
  controlTable: string,
  clientId: string,
  redirectUris: readonly string[],
): Promise<string[]> {
  const origins = originsOf(redirectUris);
  for (const origin of origins) {
    await documents.send(
      new PutCommand({ TableName: controlTable, Item: { pk: `origin#${origin}`, sk: `client#${clientId}`, origin } }),
    );
  }
  return origins;
}

/** Whether any registered client has this origin. */
export const controlTableOrigins =
  (documents: DynamoDBDocumentClient, controlTable: string) =>
  async (origin: string): Promise<boolean> => {
    const { Items } = await documents.send(
      new QueryCommand({
        TableName: controlTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `origin#${origin}` },
        Limit: 1,
      }),
    );
    return (Items?.length ?? 0) > 0;
  };
