// Payments: channel callbacks per second through the local gateway next to the bare DynamoDB Local
// and SQS round trips one callback needs, measured in the same run (README, Benchmarks).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { dynamoPaymentsStore } from '../functions/payments/dynamodb/store.ts';
import type { Order } from '../functions/payments/model.ts';
import { LOCAL_CREDENTIALS } from '../local/aws-clients.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import { clientOptions } from '../shared/aws/client-options.ts';
import { paidNotice, pendingOrder, signedCallback } from './payment-requests.ts';
import { endpointRow, sideBySide, type BenchRow, type Latencies } from './table.ts';

const SECRET = 'bench-channel-secret-0123456789abcdef0123456789';
const ROUNDS = Number(process.env.BENCH_PAYMENT_ROUNDS ?? 150);
/** Unmeasured calls of each side first: DynamoDB Local's JIT and the sandbox warm up on them. */
const WARM = 20;

/**
 * Holds the queue consumers a callback feeds (the settlement consumer, which issues the receipt, a
 * licence issue of its own; the audit writer) until `release`: their work runs after the channel has
 * its answer, and left running it competes with both loops for the 2 cores and DynamoDB Local.
 * Their batches wait in the poller; nothing is lost.
 */
function holdConsumers(runtime: LocalRuntime, names: string[]): () => void {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const held = [...runtime.hosts.values()].filter((host) =>
    names.some((name) => host.spec.displayName.endsWith(`/${name}`)),
  );
  for (const host of held) {
    const invoke = host.invoke.bind(host);
    host.invoke = async (event) => {
      await gate;
      return invoke(event);
    };
  }
  return () => {
    for (const host of held) delete (host as { invoke?: unknown }).invoke; // the prototype's again
    open();
  };
}

export async function paymentsBench(runtime: LocalRuntime, dataDir: string): Promise<BenchRow[]> {
  const env = runtime.environment;
  const table = env.tables.paymentsTable!;
  const documents = DynamoDBDocumentClient.from(runtime.clients.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = dynamoPaymentsStore(documents, table);
  // The bare round trips go through clients with the functions' own settings (timeouts, retries):
  // the same SDK work a callback's sandbox does, minus the gateway and the function around it.
  const functionClient = { ...clientOptions, region: runtime.region, credentials: LOCAL_CREDENTIALS };
  const bareDocuments = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...functionClient, endpoint: runtime.endpoints.dynamodb }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const bareSqs = new SQSClient({ ...functionClient, endpoint: runtime.endpoints.sqs });
  const dir = join(dataDir, 'secrets', 'payments', 'channels');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.json'), JSON.stringify({ adapter: 'generic', secret: SECRET }));

  const orders: Order[] = [];
  const newOrder = async () => {
    const order = pendingOrder('bench', 'bench');
    await store.createOrder(order);
    return order;
  };
  for (let i = 0; i < ROUNDS + WARM; i++) orders.push(await newOrder());
  // The channel's client is node:http on one kept-alive connection, as the SDK's handler is on the bare
  // side: undici's fetch (WHATWG streams, Request and Headers objects) cost this process, whose cores
  // the gateway and the sandbox share, about 0.5 ms more per callback (README, Benchmarks).
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${runtime.url}/payments/callbacks/bench`);
  const post = (raw: string) =>
    new Promise<void>((resolve, reject) => {
      const { method, headers } = signedCallback(SECRET, raw) as { method: string; headers: Record<string, string> };
      const request = httpRequest(
        target,
        { method, agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(raw)) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            response.statusCode === 200
              ? resolve()
              : reject(new Error(`callback answered ${response.statusCode}: ${Buffer.concat(chunks)}`)),
          );
        },
      );
      request.on('error', reject);
      request.end(raw);
    });

  // BENCH_PAYMENT_CONSUMERS=run measures as before 2026-11-30: the consumers working during the gateway loop.
  const release =
    process.env.BENCH_PAYMENT_CONSUMERS === 'run'
      ? () => undefined
      : holdConsumers(runtime, ['Payments/Settlement', 'Audit/Writer']);
  let unique: Latencies, duplicates: Latencies, bareUnique: Latencies, bareDuplicate: Latencies;
  try {
    // The same round trips with bare SDK calls: the raw delivery and the reads in parallel, then the
    // one transaction, then the settlement event ∥ the audit event (unique); a duplicate skips the transaction.
    const bareOrders: Order[] = [];
    for (let i = 0; i < ROUNDS + WARM; i++) bareOrders.push(await newOrder());
    const rawAndReads = (order: Order, txn: string) =>
      Promise.all([
        bareDocuments.send(
          new PutCommand({
            TableName: table,
            Item: { pk: `callback#${randomUUID()}`, sk: 'callback', body: paidNotice(order, txn) },
          }),
        ),
        bareDocuments.send(
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
    const sendEvents = (order: Order) =>
      Promise.all([
        bareSqs.send(
          new SendMessageCommand({
            QueueUrl: env.queues.paymentsSettlementQueue!,
            MessageBody: '{}',
            MessageGroupId: order.orderId,
            MessageDeduplicationId: order.orderId,
          }),
        ),
        bareSqs.send(new SendMessageCommand({ QueueUrl: env.queues.auditQueue!, MessageBody: '{}' })),
      ]);
    let next = 0;
    let bareNext = 0;
    const bareUniqueCallback = async () => {
      const order = bareOrders[bareNext++]!;
      const txn = `B-${order.paymentCode}`;
      await rawAndReads(order, txn);
      // The same items the callback writes: the transaction record, and the order with its paid-index keys.
      const paidAt = new Date().toISOString();
      await bareDocuments.send(
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
      await sendEvents(order);
    };
    // In turns, so that neither side meets a colder DynamoDB Local or a quieter machine (table.ts, sideBySide).
    [unique, bareUnique] = await sideBySide(
      ROUNDS,
      async () => {
        const order = orders[next++]!;
        await post(paidNotice(order, `U-${order.paymentCode}`));
      },
      bareUniqueCallback,
      WARM,
    );
    const duplicate = paidNotice(orders[0]!, `U-${orders[0]!.paymentCode}`);
    [duplicates, bareDuplicate] = await sideBySide(
      ROUNDS,
      () => post(duplicate),
      async () => {
        await rawAndReads(bareOrders[0]!, `B-${bareOrders[0]!.paymentCode}`);
        await sendEvents(bareOrders[0]!);
      },
      WARM,
    );
  } finally {
    agent.destroy();
    release();
  }
  return [
    ...endpointRow(
      'payments',
      'POST /payments/callbacks/{channel}, unique',
      unique,
      bareUnique,
      '2 DynamoDB ∥, 1 TransactWrite, 2 SQS ∥',
    ),
    ...endpointRow(
      'payments',
      'POST /payments/callbacks/{channel}, duplicate',
      duplicates,
      bareDuplicate,
      '2 DynamoDB ∥, 2 SQS ∥',
    ),
  ];
}
