import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { businessDate } from '../use-cases/decide.ts';
import type { Flag, Order, TxnRecord } from '../model.ts';
import type { NoticeWrite, PaymentsStore } from '../ports.ts';

type Documents = Pick<DynamoDBDocumentClient, 'send'>;

/** How long a transaction id is remembered: longer than any channel retries (at least 3 days). */
export const TXN_RETENTION_DAYS = 7;
/** Raw callbacks and flags are kept for audit. */
export const RECORD_RETENTION_DAYS = 400;
/** The index of PAID orders by channel and business day: reconciliation's query. */
export const PAID_INDEX = 'paid';

const key = {
  order: (orderId: string) => ({ pk: `order#${orderId}`, sk: 'order' }),
  txn: (t: Pick<TxnRecord, 'channel' | 'kind' | 'channelTxnId'>) => ({
    pk: `txn#${t.channel}#${t.kind}#${t.channelTxnId}`,
    sk: 'txn',
  }),
  flag: (flag: Flag) => ({
    pk: `flag#${flag.at.slice(0, 10)}`,
    sk: `${flag.kind}#${flag.channel}#${flag.channelTxnId}`,
  }),
};
const epochIn = (days: number, from = Date.now()) => Math.floor(from / 1000) + days * 86_400;

const conditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

/** Which part of a TransactWrite failed its condition: index → true. */
const failedConditions = (error: unknown): boolean[] | undefined =>
  error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException'
    ? ((error as TransactionCanceledException).CancellationReasons ?? []).map(
        (reason) => reason.Code === 'ConditionalCheckFailed',
      )
    : undefined;

const strip = <T>(item: Record<string, unknown> | undefined): T | undefined => {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, expiresAt: _expires, paidKey: _paidKey, paidSort: _paidSort, ...rest } = item;
  return rest as T;
};

/**
 * The payments table (single-table: pk/sk, TTL on expiresAt, index `paid` on paidKey/paidSort):
 * `order#<orderId>` orders, `txn#<channel>#<kind>#<id>` channel transactions (the idempotency
 * keys), `callback#<id>` raw deliveries, `flag#<day>` flags.
 */
export function dynamoPaymentsStore(documents: Documents, table: string): PaymentsStore {
  return {
    async createOrder(order) {
      try {
        await documents.send(
          new PutCommand({
            TableName: table,
            Item: { ...key.order(order.orderId), ...order },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'created';
      } catch (error) {
        if (conditionFailed(error)) return 'exists';
        throw error;
      }
    },

    async order(orderId) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: table, Key: key.order(orderId), ConsistentRead: true }),
      );
      return strip<Order>(Item);
    },

    async orderAndTxn(orderId, txn) {
      const keys = [key.txn(txn), ...(orderId ? [key.order(orderId)] : [])];
      const { Responses } = await documents.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      const items = Responses?.[table] ?? [];
      return {
        order: strip<Order>(items.find((item) => item.sk === 'order')),
        txn: strip<TxnRecord>(items.find((item) => item.sk === 'txn')),
      };
    },

    async applyNotice(write: NoticeWrite) {
      const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
        {
          Put: {
            TableName: table,
            Item: { ...key.txn(write.txn), ...write.txn, expiresAt: epochIn(TXN_RETENTION_DAYS) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ];
      const transition = write.transition;
      if (transition) {
        const names: Record<string, string> = { '#status': 'status' };
        const values: Record<string, unknown> = { ':from': transition.from, ':to': transition.to };
        const sets = ['#status = :to'];
        for (const [field, value] of Object.entries(transition.set)) {
          names[`#${field}`] = field;
          values[`:${field}`] = value;
          sets.push(`#${field} = :${field}`);
        }
        if (transition.to === 'PAID' && transition.set.paid) {
          values[':paidKey'] = `paid#${transition.set.paid.channel}#${businessDate(transition.set.paid.paidAt)}`;
          values[':paidSort'] = transition.orderId;
          sets.push('paidKey = :paidKey', 'paidSort = :paidSort');
        }
        items.push({
          Update: {
            TableName: table,
            Key: key.order(transition.orderId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk) AND #status = :from',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        });
      }
      if (write.flag)
        items.push({
          Put: {
            TableName: table,
            Item: { ...key.flag(write.flag), ...write.flag, expiresAt: epochIn(RECORD_RETENTION_DAYS) },
          },
        });
      try {
        await documents.send(new TransactWriteCommand({ TransactItems: items }));
        return 'applied';
      } catch (error) {
        const failed = failedConditions(error);
        if (!failed) throw error;
        if (failed[0]) return 'txn-exists';
        if (failed[1]) return 'order-changed';
        throw error;
      }
    },

    async markAnnounced(txn) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: table,
            Key: key.txn(txn),
            UpdateExpression: 'SET announced = :yes',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':yes': true },
          }),
        );
      } catch (error) {
        // Expired meanwhile: nothing is left to mark.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async transition(orderId, from, to, set = {}) {
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = { ':from': from, ':to': to };
      const sets = ['#status = :to'];
      for (const [field, value] of Object.entries(set)) {
        names[`#${field}`] = field;
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
      try {
        await documents.send(
          new UpdateCommand({
            TableName: table,
            Key: key.order(orderId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk) AND #status = :from',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error)) return false;
        throw error;
      }
    },

    async setReceipt(orderId, receiptId) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: table,
            Key: key.order(orderId),
            UpdateExpression: 'SET receiptId = :receipt',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(receiptId)',
            ExpressionAttributeValues: { ':receipt': receiptId },
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error)) return false;
        throw error;
      }
    },

    async recordCallback(raw) {
      await documents.send(
        new PutCommand({
          TableName: table,
          Item: { pk: `callback#${raw.callbackId}`, sk: 'callback', ...raw, expiresAt: epochIn(RECORD_RETENTION_DAYS) },
        }),
      );
    },

    async putFlag(flag) {
      await documents.send(
        new PutCommand({
          TableName: table,
          Item: { ...key.flag(flag), ...flag, expiresAt: epochIn(RECORD_RETENTION_DAYS) },
        }),
      );
    },

    async paidOn(channel, date) {
      const orders: Order[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: table,
            IndexName: PAID_INDEX,
            KeyConditionExpression: 'paidKey = :key',
            ExpressionAttributeValues: { ':key': `paid#${channel}#${date}` },
            ExclusiveStartKey: start,
          }),
        );
        orders.push(...(page.Items ?? []).map((item) => strip<Order>(item)!));
        start = page.LastEvaluatedKey;
      } while (start);
      return orders;
    },
  };
}

/** Flags of one day, for tests and operators. */
export async function flagsOn(documents: Documents, table: string, day: string): Promise<Flag[]> {
  const { Items } = await documents.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `flag#${day}` },
    }),
  );
  return (Items ?? []).map((item) => strip<Flag>(item)!);
}
