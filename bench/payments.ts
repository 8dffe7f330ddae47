// Payments: channel callbacks per second through the local gateway next to the bare DynamoDB Local
// and SQS round trips one callback needs, measured in the same run (README, Benchmarks).
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { genericSignature } from '../functions/payments/channels/generic.ts';
import { dynamoPaymentsStore } from '../functions/payments/dynamodb/store.ts';
import type { Order } from '../functions/payments/model.ts';
import { newPaymentCode, orderIdOf } from '../functions/payments/payment-code.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import type { BenchRow } from './table.ts';

const SECRET = 'bench-channel-secret-0123456789abcdef0123456789';
const ROUNDS = Number(process.env.BENCH_PAYMENT_ROUNDS ?? 150);

async function perSecond(rounds: number, run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await run(-1 - i); // warm
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await run(i);
  return rounds / ((performance.now() - started) / 1000);
}

export async function paymentsBench(runtime: LocalRuntime, dataDir: string): Promise<BenchRow[]> {
  const env = runtime.environment;
  const table = env.tables.paymentsTable!;
  const documents = DynamoDBDocumentClient.from(runtime.clients.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = dynamoPaymentsStore(documents, table);
  const dir = join(dataDir, 'secrets', 'payments', 'channels');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.json'), JSON.stringify({ adapter: 'generic', secret: SECRET }));

  const orders: Order[] = [];
  const newOrder = async () => {
    const paymentCode = newPaymentCode();
    const order: Order = {
      orderId: orderIdOf(paymentCode),
      paymentCode,
      itemCode: 'market-registration-fee',
      department: 'dept-market',
      clientId: 'bench',
      payer: { kind: 'citizen', id: '11010519491231002X', name: '张三' },
      amountFen: 100,
      currency: 'CNY',
      description: 'bench',
      status: 'PENDING',
      createdAt: new Date().toISOString(),
      payBy: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await store.createOrder(order);
    return order;
  };
  for (let i = 0; i < ROUNDS + 10; i++) orders.push(await newOrder());
  const body = (order: Order, txn: string) =>
    JSON.stringify({
      channelTxnId: txn,
      paymentCode: order.paymentCode,
      amountFen: 100,
      currency: 'CNY',
      status: 'SUCCESS',
      paidAt: new Date().toISOString(),
    });
  const post = async (raw: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(`${runtime.url}/payments/callbacks/bench`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-dgov-timestamp': timestamp,
        'x-dgov-signature': `v1=${genericSignature(SECRET, timestamp, Buffer.from(raw))}`,
      },
      body: raw,
    });
    if (response.status !== 200) throw new Error(`callback answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };

  let next = 0;
  const unique = await perSecond(ROUNDS, async () => {
    const order = orders[next++]!;
    await post(body(order, `U-${order.paymentCode}`));
  });
  const duplicate = body(orders[0]!, `U-${orders[0]!.paymentCode}`);
  const duplicates = await perSecond(ROUNDS, () => post(duplicate));

  // The same round trips with bare SDK calls: the raw delivery and the reads in parallel, then the
  // settlement event, the audit event and the one transaction (unique); the first two only (duplicate).
  const bareOrders: Order[] = [];
  for (let i = 0; i < ROUNDS + 10; i++) bareOrders.push(await newOrder());
  let bareNext = 0;
  const rawAndReads = (order: Order, txn: string) =>
    Promise.all([
      documents.send(
        new PutCommand({
          TableName: table,
          Item: { pk: `callback#${randomUUID()}`, sk: 'callback', body: body(order, txn) },
        }),
      ),
      documents.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: [
                { pk: `txn#bench#payment#${txn}`, sk: 'txn' },
                { pk: `order#${order.orderId}`, sk: 'order' },
              ],
              ConsistentRead: true,
            },
          },
        }),
      ),
    ]);
  const bareUnique = await perSecond(ROUNDS, async () => {
    const order = bareOrders[bareNext++]!;
    const txn = `B-${order.paymentCode}`;
    await rawAndReads(order, txn);
    await runtime.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: env.queues.paymentsSettlementQueue!,
        MessageBody: '{}',
        MessageGroupId: order.orderId,
        MessageDeduplicationId: order.orderId,
      }),
    );
    await runtime.clients.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.auditQueue!, MessageBody: '{}' }));
    // The same items the callback writes: the transaction record, and the order with its paid-index keys.
    const paidAt = new Date().toISOString();
    await documents.send(
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
  });
  const bareDuplicate = await perSecond(ROUNDS, () => rawAndReads(bareOrders[0]!, `B-${bareOrders[0]!.paymentCode}`));
  const area = 'payments';
  const against = 'bare /s ÷ gateway /s';
  return [
    { area, measure: 'callbacks, unique, via gateway', value: unique, unit: '/s', ratio: bareUnique / unique, against },
    { area, measure: '↳ bare round trips (2 DynamoDB ∥, 2 SQS, 1 TransactWrite)', value: bareUnique, unit: '/s' },
    {
      area,
      measure: 'callbacks, duplicate, via gateway',
      value: duplicates,
      unit: '/s',
      ratio: bareDuplicate / duplicates,
      against,
    },
    { area, measure: '↳ bare round trips (2 DynamoDB ∥)', value: bareDuplicate, unit: '/s' },
  ];
}
