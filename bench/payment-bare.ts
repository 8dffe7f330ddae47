// The bare DynamoDB Local and SQS round trips one payment callback needs, without the gateway, the
// sandbox or the function around them: what bench/payments.ts measures the callback route against.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Order } from '../functions/payments/model.ts';
import { LOCAL_CREDENTIALS } from '../local/aws-clients.ts';
import { clientOptions } from '../shared/aws/client-options.ts';
import { paidNotice } from './payment-requests.ts';

export interface PaymentBareTargets {
  region: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  table: string;
  settlementQueue: string;
  auditQueue: string;
}

export interface PaymentBareCalls {
  /** A first delivery: the reads ∥ the raw delivery, the one transaction, the settlement ∥ the audit event. */
  unique(order: Order): Promise<void>;
  /** A repeat: the reads ∥ the raw delivery, then the two events sent again; no transaction. */
  duplicate(order: Order): Promise<void>;
}

/**
 * Clients with the functions' own settings (`clientOptions`: timeouts, two attempts), so that both
 * sides make the same SDK calls the same way; the items are the ones the callback reads and writes.
 */
export function paymentBareCalls(targets: PaymentBareTargets): PaymentBareCalls {
  const options = { ...clientOptions, region: targets.region, credentials: LOCAL_CREDENTIALS };
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...options, endpoint: targets.dynamodbEndpoint }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const sqs = new SQSClient({ ...options, endpoint: targets.sqsEndpoint });
  const { table } = targets;
  const txnOf = (order: Order) => `B-${order.paymentCode}`;
  // The delivery as the callback keeps it (functions/payments/use-cases/callback.ts, keep).
  const deliveryOf = (order: Order) => {
    const callbackId = randomUUID();
    return {
      pk: `callback#${callbackId}`,
      sk: 'callback',
      callbackId,
      channel: 'bench',
      receivedAt: new Date().toISOString(),
      verdict: 'accepted',
      contentType: 'application/json',
      headers: {
        'x-dgov-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-dgov-signature': `v1=${'0'.repeat(64)}`,
      },
      body: paidNotice(order, txnOf(order)),
      sourceIp: '127.0.0.1',
      requestId: randomUUID(),
      expiresAt: Math.floor(Date.now() / 1000) + 400 * 86_400,
    };
  };

  // The reads first, as the callback starts them: the delivery's put is built while they are in flight.
  const readsAndRaw = (order: Order) =>
    Promise.all([
      documents.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: [
                { pk: `txn#bench#payment#${txnOf(order)}`, sk: 'txn' },
                { pk: `order#${order.orderId}`, sk: 'order' },
              ],
              ConsistentRead: true,
            },
          },
        }),
      ),
      documents.send(new PutCommand({ TableName: table, Item: deliveryOf(order) })),
    ]);
  // The messages the callback sends, as large as its own: the settlement event, and an audit event with its id.
  const settledOf = (order: Order) =>
    JSON.stringify({
      type: 'payment.settled',
      orderId: order.orderId,
      paymentCode: order.paymentCode,
      amountFen: 100,
      currency: 'CNY',
      channel: 'bench',
      channelTxnId: txnOf(order),
      paidAt: new Date().toISOString(),
    });
  const auditOf = (order: Order) => {
    const eventId = randomUUID().replaceAll('-', '');
    const body = JSON.stringify({
      eventId,
      actor: { kind: 'system', id: 'channel:bench' },
      action: 'payments.order.paid',
      resource: `payment-order/${order.orderId}`,
      outcome: 'success',
      requestId: randomUUID(),
      time: new Date().toISOString(),
      region: targets.region,
    });
    return { body, eventId };
  };
  const sendEvents = (order: Order) =>
    Promise.all([
      sqs.send(
        new SendMessageCommand({
          QueueUrl: targets.settlementQueue,
          MessageBody: settledOf(order),
          MessageGroupId: order.orderId,
          MessageDeduplicationId: order.orderId,
        }),
      ),
      (() => {
        const { body, eventId } = auditOf(order);
        return sqs.send(
          new SendMessageCommand({
            QueueUrl: targets.auditQueue,
            MessageBody: body,
            MessageAttributes: { eventId: { DataType: 'String', StringValue: eventId } },
          }),
        );
      })(),
    ]);
  // The same items the callback writes: the transaction record, and the order with its paid-index keys.
  const settle = (order: Order) => {
    const txn = txnOf(order);
    const paidAt = new Date().toISOString();
    return documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: {
                pk: `txn#bench#payment#${txn}`,
                sk: 'txn',
                channel: 'bench',
                kind: 'payment',
                channelTxnId: txn,
                paymentCode: order.paymentCode,
                amountFen: 100,
                currency: 'CNY',
                status: 'SUCCESS',
                paidAt,
                outcome: { status: 200, orderStatus: 'PAID' },
                source: 'callback',
                recordedAt: paidAt,
                announce: { settled: { type: 'payment.settled', orderId: order.orderId, channelTxnId: txn, paidAt } },
                expiresAt: Math.floor(Date.now() / 1000) + 7 * 86_400,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: table,
              Key: { pk: `order#${order.orderId}`, sk: 'order' },
              UpdateExpression: 'SET #s = :to, #paid = :paid, paidKey = :paidKey, paidSort = :paidSort',
              ConditionExpression: 'attribute_exists(pk) AND #s = :from',
              ExpressionAttributeNames: { '#s': 'status', '#paid': 'paid' },
              ExpressionAttributeValues: {
                ':to': 'PAID',
                ':from': 'PENDING',
                ':paid': { channel: 'bench', channelTxnId: txn, paidAt, settledAt: paidAt },
                ':paidKey': `paid#bench#${paidAt.slice(0, 10)}`,
                ':paidSort': order.orderId,
              },
            },
          },
        ],
      }),
    );
  };

  return {
    async unique(order) {
      await readsAndRaw(order);
      await settle(order);
      await sendEvents(order);
    },
    async duplicate(order) {
      await readsAndRaw(order);
      await sendEvents(order);
    },
  };
}
