// Sustained load: a few clients cycle through the four hot endpoints for BENCH_LOAD_SECONDS, then
// the records they left in the tables and the audit bucket are counted against the successful answers.
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeEvents } from '../functions/audit/domain.ts';
import { s3TrailReader } from '../functions/audit/store.ts';
import { dynamoPaymentsStore } from '../functions/payments/dynamodb/store.ts';
import type { Order } from '../functions/payments/model.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import { benchClient, clientToken } from './clients.ts';
import { paidNotice, pendingOrder, signedCallback } from './payment-requests.ts';
import { postLicence, postTicket, postVerify } from './requests.ts';
import { type BenchRow, latencies } from './table.ts';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const CLIENTS = Number(process.env.BENCH_LOAD_CLIENTS ?? 4);
/** How long the queues' consumers get to finish the work the load left behind. */
const SETTLE_MS = 180_000;
const CHANNEL = 'bench-load';
const SECRET = 'bench-load-channel-secret-0123456789abcdef012345';

type Endpoint = 'token' | 'ticket' | 'verify' | 'callback';
const ENDPOINTS: readonly Endpoint[] = ['token', 'ticket', 'verify', 'callback'];
const LABELS: Record<Endpoint, string> = {
  token: 'POST /oauth2/token (client_credentials)',
  ticket: 'POST /tickets (intake)',
  verify: 'POST /licences/verify',
  callback: `POST /payments/callbacks/${CHANNEL} (unique transaction)`,
};

interface Tally {
  samples: number[];
  errors: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every item of a table that the filter keeps (a scan, page by page). */
async function scanAll(documents: DynamoDBDocumentClient, input: ScanCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function loadBench(runtime: LocalRuntime, dataDir: string): Promise<BenchRow[]> {
  const env = runtime.environment;
  const documents = DynamoDBDocumentClient.from(runtime.clients.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const stamp = Date.now();
  const tokenClient = await benchClient(runtime, `bench-load-token-${stamp}`, ['openid']);
  const channel = await benchClient(runtime, `bench-load-intake-${stamp}`, ['tickets:file']);
  const channelToken = await clientToken(runtime, channel);
  const issuer = await benchClient(runtime, `bench-load-issuer-${stamp}`, ['licences:issue'], 'dept-police');
  const licence = await postLicence(runtime, await clientToken(runtime, issuer, 'licences:issue'));
  const channels = join(dataDir, 'secrets', 'payments', 'channels');
  mkdirSync(channels, { recursive: true });
  writeFileSync(join(channels, `${CHANNEL}.json`), JSON.stringify({ adapter: 'generic', secret: SECRET }));
  const payments = dynamoPaymentsStore(documents, env.tables.paymentsTable!);
  const orderClient = `bench-load-${stamp}`;

  const tickets = new Set<string>();
  const paidTxns = new Set<string>();
  const newOrder = async (): Promise<Order> => {
    const order = pendingOrder(orderClient, 'bench load');
    await payments.createOrder(order);
    return order;
  };
  const callback = async (order: Order) => {
    const channelTxnId = `L-${order.paymentCode}`;
    const response = await fetch(
      `${runtime.url}/payments/callbacks/${CHANNEL}`,
      signedCallback(SECRET, paidNotice(order, channelTxnId)),
    );
    if (response.status !== 200) throw new Error(`callback answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
    return channelTxnId;
  };

  const tally = Object.fromEntries(
    ENDPOINTS.map((name): [Endpoint, Tally] => [name, { samples: [], errors: [] }]),
  ) as Record<Endpoint, Tally>;
  let sequence = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let turn = client; performance.now() < deadline; turn++) {
        const endpoint = ENDPOINTS[turn % ENDPOINTS.length]!;
        // The order a callback pays is created first, outside the timed request.
        const order = endpoint === 'callback' ? await newOrder() : undefined;
        const begun = performance.now();
        try {
          if (endpoint === 'token') await clientToken(runtime, tokenClient);
          else if (endpoint === 'ticket') tickets.add(await postTicket(runtime, channelToken, sequence++));
          else if (endpoint === 'verify') await postVerify(runtime, licence);
          else paidTxns.add(await callback(order!));
          tally[endpoint].samples.push(performance.now() - begun);
        } catch (error) {
          tally[endpoint].errors.push((error as Error).message);
        }
      }
    }),
  );
  const wallMs = performance.now() - started;

  // What the load left: every ticket routed, every transaction recorded and its order paid, every
  // token's and ticket's audit event in the bucket. Consumers finish in the background: wait for them.
  const trail = s3TrailReader(runtime.clients.s3, env.buckets.auditBucket!);
  const auditedIn = new Map<string, { token: number; ticket: number }>();
  const count = async () => {
    const ticketItems = await scanAll(documents, {
      TableName: env.tables.hotlineTable!,
      FilterExpression: 'sk = :sk AND filer.clientId = :client',
      ExpressionAttributeValues: { ':sk': 'ticket', ':client': channel.clientId },
      ProjectionExpression: 'ticketId, #s',
      ExpressionAttributeNames: { '#s': 'status' },
    });
    const txnItems = await scanAll(documents, {
      TableName: env.tables.paymentsTable!,
      FilterExpression: 'begins_with(pk, :txn)',
      ExpressionAttributeValues: { ':txn': `txn#${CHANNEL}#payment#` },
      ProjectionExpression: 'channelTxnId',
    });
    const paidOrders = await scanAll(documents, {
      TableName: env.tables.paymentsTable!,
      FilterExpression: 'sk = :sk AND clientId = :client AND attribute_exists(paid)',
      ExpressionAttributeValues: { ':sk': 'order', ':client': orderClient },
      ProjectionExpression: 'orderId',
    });
    // Events objects are written once and never replaced: each is read and counted once over the polls.
    for (const { key } of await trail.list('events/')) {
      if (auditedIn.has(key)) continue;
      const found = { token: 0, ticket: 0 };
      for (const event of decodeEvents((await trail.read(key))!)) {
        if (event.action === 'identity.token.issue' && event.actor.id === tokenClient.clientId) found.token++;
        if (event.action === 'hotline.ticket.file' && event.actor.clientId === channel.clientId) found.ticket++;
      }
      auditedIn.set(key, found);
    }
    const audited = { token: 0, ticket: 0 };
    for (const found of auditedIn.values()) {
      audited.token += found.token;
      audited.ticket += found.ticket;
    }
    return {
      tickets: ticketItems.length,
      ticketsMatch:
        ticketItems.length === tickets.size && ticketItems.every((item) => tickets.has(String(item.ticketId))),
      ticketsRouted: ticketItems.filter((item) => item.status !== 'RECEIVED').length,
      txns: txnItems.length,
      txnsMatch: txnItems.length === paidTxns.size && txnItems.every((item) => paidTxns.has(String(item.channelTxnId))),
      paidOrders: paidOrders.length,
      auditedTokens: audited.token,
      auditedTickets: audited.ticket,
    };
  };
  const ok = tally.token.samples.length;
  const expected = (counted: Awaited<ReturnType<typeof count>>) =>
    counted.ticketsMatch &&
    counted.ticketsRouted === tickets.size &&
    counted.txnsMatch &&
    counted.paidOrders === paidTxns.size &&
    counted.auditedTokens === ok &&
    counted.auditedTickets === tickets.size;
  const settleStarted = performance.now();
  let counted = await count();
  while (!expected(counted) && performance.now() - settleStarted < SETTLE_MS) {
    await sleep(2_000);
    counted = await count();
  }
  const settledMs = performance.now() - settleStarted;

  const area = 'load';
  const errors = ENDPOINTS.reduce((sum, name) => sum + tally[name].errors.length, 0);
  for (const name of ENDPOINTS)
    for (const message of new Set(tally[name].errors)) console.error(`load: ${name} failed: ${message}`);
  const rows: BenchRow[] = ENDPOINTS.map((name) => {
    const figures = latencies(tally[name].samples, wallMs);
    return {
      area,
      measure: `${LABELS[name]} under ${SECONDS} s of load, ${CLIENTS} clients over the 4 endpoints: ${tally[name].samples.length} answered, ${tally[name].errors.length} errors`,
      value: tally[name].errors.length,
      unit: 'errors',
      p50Ms: figures.p50Ms,
      p99Ms: figures.p99Ms,
      perSecond: figures.perSecond,
    };
  });
  /** `exact`: the same records, not only as many (where the ids are known). */
  const match = (what: string, found: number, answered: number, exact = found === answered): BenchRow => ({
    area,
    measure: `${what}: ${found} found for ${answered} successful answers, ${exact ? 'exact' : 'MISMATCH'}`,
    value: found - answered,
    unit: 'found − answered',
  });
  rows.push(
    match('tickets stored (hotline table)', counted.tickets, tickets.size, counted.ticketsMatch),
    match('tickets routed (routing queue → router)', counted.ticketsRouted, tickets.size),
    match('payment transactions recorded (payments table)', counted.txns, paidTxns.size, counted.txnsMatch),
    match('orders paid (payments table)', counted.paidOrders, paidTxns.size),
    match('token audit events (audit queue → writer → bucket)', counted.auditedTokens, ok),
    match('ticket audit events (audit queue → writer → bucket)', counted.auditedTickets, tickets.size),
    {
      area,
      measure: `all requests of the load: ${errors} errors; records counted ${(settledMs / 1000).toFixed(0)} s after the load ended${expected(counted) ? '' : ' (gave up waiting)'}`,
      value: errors,
      unit: 'errors',
    },
  );
  if (errors > 0 || !expected(counted)) process.exitCode = 1;
  return rows;
}
