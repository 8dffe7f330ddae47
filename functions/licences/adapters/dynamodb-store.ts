import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Holder, LicenceRecord } from '../model.ts';
import type { IssueOutcome, LicenceStore } from '../ports.ts';

/** The GSIs of the licences table (infra/capabilities/licences/data.ts declares the same). */
export const LICENCE_INDEXES = {
  byHolder: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  byType: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  byIssuer: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
} as const;

const licenceKey = (licenceId: string) => ({ pk: `LICENCE#${licenceId}`, sk: 'LICENCE' });
const matterKey = (issuer: string, matterId: string) => ({ pk: `MATTER#${issuer}#${matterId}`, sk: 'MATTER' });
const listKey = (listId: string) => ({ pk: `STATUS#${listId}`, sk: 'LIST' });
const COUNTER = { pk: 'STATUS#COUNTER', sk: 'COUNTER' };
const holderKey = (holder: Holder) => `HOLDER#${holder.kind}#${holder.id}`;

type Item = Record<string, unknown>;

/** The document is kept as the JSON text that was sealed, so reading it back cannot change a byte of it. */
function toItem(record: LicenceRecord): Item {
  const { document, ...rest } = record;
  const sortKey = `${document.issuedAt}#${record.licenceId}`;
  return {
    ...licenceKey(record.licenceId),
    ...rest,
    documentJson: JSON.stringify(document),
    gsi1pk: holderKey(document.holder),
    gsi1sk: sortKey,
    gsi2pk: `TYPE#${document.type}`,
    gsi2sk: sortKey,
    gsi3pk: `ISSUER#${record.issuer}`,
    gsi3sk: sortKey,
  };
}

function fromItem(item: Item): LicenceRecord {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _a,
    gsi1sk: _b,
    gsi2pk: _c,
    gsi2sk: _d,
    gsi3pk: _e,
    gsi3sk: _f,
    documentJson,
    ...rest
  } = item;
  return { ...(rest as Omit<LicenceRecord, 'document'>), document: JSON.parse(documentJson as string) };
}

const conditionFailed = (error: unknown, position: number) =>
  (error as { name?: string }).name === 'TransactionCanceledException' &&
  (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons?.[position]?.Code ===
    'ConditionalCheckFailed';

export function dynamoLicenceStore(client: DynamoDBDocumentClient, table: string): LicenceStore {
  const get = async (licenceId: string) => {
    const { Item } = await client.send(
      new GetCommand({ TableName: table, Key: licenceKey(licenceId), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  };
  const byMatter = async (issuer: string, matterId: string) => {
    const { Item } = await client.send(
      new GetCommand({ TableName: table, Key: matterKey(issuer, matterId), ConsistentRead: true }),
    );
    return Item ? get(Item.licenceId as string) : undefined;
  };
  return {
    get,
    byMatter,
    async create(record): Promise<IssueOutcome> {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: { ...matterKey(record.issuer, record.matterId), licenceId: record.licenceId },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Put: { TableName: table, Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
            ],
          }),
        );
        return { created: true };
      } catch (error) {
        if (!conditionFailed(error, 0)) throw error;
        const existing = await byMatter(record.issuer, record.matterId);
        if (!existing) throw error;
        return { created: false, existing };
      }
    },
    async byHolder(holder, limit) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'byHolder',
          KeyConditionExpression: 'gsi1pk = :holder',
          ExpressionAttributeValues: { ':holder': holderKey(holder) },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return Items.map(fromItem);
    },
    async revoke(licenceId, listId, index, reason, at) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: table,
                  Key: licenceKey(licenceId),
                  UpdateExpression:
                    'SET #status = :revoked, revokedAt = :at, revokeReason = :reason, announced.revoked = :false',
                  ConditionExpression: '#status = :valid',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':revoked': 'revoked',
                    ':valid': 'valid',
                    ':at': at,
                    ':reason': reason,
                    ':false': false,
                  },
                },
              },
              {
                Update: {
                  TableName: table,
                  Key: listKey(listId),
                  UpdateExpression: 'ADD revoked :index',
                  ExpressionAttributeValues: { ':index': new Set([index]) },
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error, 0)) return false;
        throw error;
      }
    },
    async markAnnounced(licenceId, event) {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: licenceKey(licenceId),
          UpdateExpression: 'SET announced.#event = :true',
          ExpressionAttributeNames: { '#event': event },
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    },
    async nextStatusIndex() {
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: table,
          Key: COUNTER,
          UpdateExpression: 'ADD #next :one',
          ExpressionAttributeNames: { '#next': 'next' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.next) - 1;
    },
    async revokedIndexes(listId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: table, Key: listKey(listId), ConsistentRead: true }),
      );
      return [...((Item?.revoked as Set<number> | undefined) ?? [])].map(Number);
    },
  };
}
