// Payments: channel callbacks per second through the local gateway next to the bare DynamoDB Local
// and SQS round trips one callback needs, measured in the same run (README, Benchmarks).
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { dynamoPaymentsStore } from '../functions/payments/dynamodb/store.ts';
import type { Order } from '../functions/payments/model.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import { paymentBareCalls, type PaymentBareCalls, type PaymentBareTargets } from './payment-bare.ts';
import { paidNotice, pendingOrder, signedCallback } from './payment-requests.ts';
import { endpointRow, sideBySide, type BenchRow, type Latencies } from './table.ts';
import { inThread } from './thread.ts';

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
  const targets: PaymentBareTargets = {
    region: runtime.region,
    dynamodbEndpoint: runtime.endpoints.dynamodb,
    sqsEndpoint: runtime.endpoints.sqs,
    table,
    settlementQueue: env.queues.paymentsSettlementQueue!,
    auditQueue: env.queues.auditQueue!,
  };
  // The bare round trips from two places: a worker thread of this process, the kind of thread a
  // sandbox is and where the function makes them; and this process's main thread, where the gateway
  // and fauxqs run. From there the same calls took 0.7-1.5 ms less per callback (README, Benchmarks).
  const sandboxThread = await inThread<Order>(
    new URL('./payment-bare.ts', import.meta.url),
    'paymentBareCalls',
    targets,
  );
  const mainThread: PaymentBareCalls = paymentBareCalls(targets);
  let unique: Latencies[], duplicates: Latencies[];
  try {
    const ordersOf = async (count: number) => {
      const list: Order[] = [];
      for (let i = 0; i < count; i++) list.push(await newOrder());
      return list;
    };
    const [threadOrders, mainOrders] = [await ordersOf(ROUNDS + WARM), await ordersOf(ROUNDS + WARM)];
    let next = 0;
    let threadNext = 0;
    let mainNext = 0;
    // In turns, so that no side meets a colder DynamoDB Local or a quieter machine (table.ts, sideBySide).
    unique = await sideBySide(
      ROUNDS,
      [
        async () => {
          const order = orders[next++]!;
          await post(paidNotice(order, `U-${order.paymentCode}`));
        },
        () => sandboxThread.call('unique', threadOrders[threadNext++]!),
        () => mainThread.unique(mainOrders[mainNext++]!),
      ],
      WARM,
    );
    const duplicate = paidNotice(orders[0]!, `U-${orders[0]!.paymentCode}`);
    duplicates = await sideBySide(
      ROUNDS,
      [
        () => post(duplicate),
        () => sandboxThread.call('duplicate', threadOrders[0]!),
        () => mainThread.duplicate(mainOrders[0]!),
      ],
      WARM,
    );
  } finally {
    agent.destroy();
    await sandboxThread.close();
    release();
  }
  return [
    ...callbackRows('unique', unique, '2 DynamoDB ∥, 1 TransactWrite, 2 SQS ∥'),
    ...callbackRows('duplicate', duplicates, '2 DynamoDB ∥, 2 SQS ∥'),
  ];
}

/** The route's row against the bare round trips from a sandbox's kind of thread, then the same from the main thread. */
function callbackRows(kind: string, [route, fromThread, fromMain]: Latencies[], bareIs: string): BenchRow[] {
  return [
    ...endpointRow(
      'payments',
      `POST /payments/callbacks/{channel}, ${kind}`,
      route!,
      fromThread!,
      `${bareIs}, from a worker thread (as the sandbox makes them)`,
    ),
    {
      area: 'payments',
      measure: `↳ the same round trips from the runtime's main thread (where the gateway and fauxqs run)`,
      p50Ms: fromMain!.p50Ms,
      p99Ms: fromMain!.p99Ms,
      perSecond: fromMain!.perSecond,
      ratio: route!.p50Ms / fromMain!.p50Ms,
      against: "the callback's p50 ÷ this p50",
    },
  ];
}
