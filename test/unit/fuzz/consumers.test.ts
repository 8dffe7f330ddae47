import type { Context, S3Event, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeEvents } from '../../../functions/audit/domain.ts';
import type { WriterPorts } from '../../../functions/audit/write-batch.ts';
import { makeWriteAuditBatch } from '../../../functions/audit/writer.ts';
import { CAPABILITIES } from '../../../functions/capabilities.ts';
import { makeRouteRecord } from '../../../functions/hotline/route-record.ts';
import { fileTicket } from '../../../functions/hotline/use-cases/intake.ts';
import { makeReconcileHandler } from '../../../functions/payments/reconcile.ts';
import { statementOf } from '../../../functions/payments/use-cases/reconcile.ts';
import { makeSettlementConsumer, settledEventSchema } from '../../../functions/payments/settlement.ts';
import { receiveCallback } from '../../../functions/payments/use-cases/callback.ts';
import { auditEventSchema } from '../../../shared/audit.ts';
import type { CapabilityManifest } from '../../../shared/capability.ts';
import { sqsBatchHandler } from '../../../shared/sqs-batch.ts';
import { anyJson, FUZZ_RUNS, FUZZ_TIMEOUT, mutated, text } from '../../support/fuzz/arbitraries.ts';
import { quietObservability } from '../../support/fuzz/fakes.ts';
import { citizen, context, hotlineWorld, newTicket } from '../../support/hotline-world.ts';
import { memoryWriterPorts } from '../../support/memory-writer-ports.ts';
import { lambdaContext } from '../../support/identity-in-process.ts';
import { genericCallback, paymentsWorld } from '../../support/payments-world.ts';

// The consumers' modules read their configuration when loaded (their factories are what is fuzzed).
vi.hoisted(() =>
  Object.assign(process.env, {
    AWS_REGION: 'cn-north-1',
    DGOV_CONTROL_TABLE: 'control',
    DGOV_AUDIT_BUCKET: 'audit',
    DGOV_AUDIT_QUEUE_URL: 'http://127.0.0.1:1/000000000000/audit',
    DGOV_HOTLINE_TABLE: 'hotline',
    DGOV_HOTLINE_DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/routing-dlq',
    DGOV_PAYMENTS_TABLE: 'payments',
    DGOV_PAYMENTS_API_URL: 'http://127.0.0.1:1',
    DGOV_PAYMENTS_RECEIPT_CLIENT: 'file:/nonexistent.json#payments-receipts',
    DGOV_PAYMENTS_SETTLEMENT_QUEUE_URL: 'http://127.0.0.1:1/000000000000/settlement.fifo',
    DGOV_PAYMENTS_STATEMENTS_BUCKET: 'statements',
  }),
);

/**
 * Every queue consumer under arbitrary messages (JSON or not, of the wrong shape) mixed with valid
 * ones and duplicates of them: it never throws a batch away, a poison message is reported as a
 * batch item failure or moved to the DLQ as its design says, and a duplicate changes nothing twice.
 */
const record = (body: string, index: number): SQSRecord => ({
  messageId: `m-${index}`,
  receiptHandle: `r-${index}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'fuzz',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws-cn:sqs:cn-north-1:000000000000:fuzz',
  awsRegion: 'cn-north-1',
});
const sqsEvent = (bodies: string[]): SQSEvent => ({ Records: bodies.map(record) });
/** A batch of 1–6 messages: valid ones (often the same one twice), broken copies of them, anything. */
const batchOf = (valid: () => unknown[]) =>
  fc.array(
    fc.oneof(
      {
        arbitrary: fc.constant(null).chain(() => fc.constantFrom(...valid()).map((v) => JSON.stringify(v))),
        weight: 3,
      },
      fc.constant(null).chain(() =>
        fc
          .constantFrom(...valid())
          .chain((v) => mutated(v))
          .map((v) => JSON.stringify(v) ?? ''),
      ),
      anyJson.map((value) => JSON.stringify(value) ?? ''),
      text,
    ),
    { minLength: 1, maxLength: 6 },
  );
/** An audit event's message body, as the payments capability sends it. */
const paidEvent = (id: string, time: string) =>
  JSON.stringify({
    eventId: id,
    time,
    actor: { kind: 'system', id: 'payments' },
    action: 'payments.order.paid',
    resource: `order/${id}`,
    outcome: 'success',
    requestId: 'req-1',
    region: 'cn-north-1',
  });
const failuresOf = (answer: SQSBatchResponse) => answer.batchItemFailures.map((item) => item.itemIdentifier).sort();
const contextOf = () => lambdaContext() as Context;

/** Each queue function of the manifests, with its property: a new consumer without one fails the suite. */
const PROPERTIES: Record<string, string> = {
  'hotline-router': 'the hotline router',
  'payments-settlement': 'the payments settlement consumer',
  'payments-reconcile': 'the payments reconciler',
  'audit-writer': 'the audit writer',
};

beforeAll(() => {
  quietObservability();
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('queue consumers under fuzzing', { timeout: FUZZ_TIMEOUT }, () => {
  it('every queue function of the manifests has a property here', () => {
    const consumers = (CAPABILITIES as readonly CapabilityManifest[])
      .flatMap((capability) => capability.functions)
      .filter((fn) => fn.kind === 'queue')
      .map((fn) => fn.service);
    for (const service of consumers) expect(PROPERTIES[service], `no fuzz property for ${service}`).toBeDefined();
  });

  it(`${PROPERTIES['hotline-router']}: poison to the DLQ with a reason, valid tickets routed once`, async () => {
    const world = hotlineWorld(new Date());
    const ports = { ...world.ports, queue: world.queue };
    const filed = await Promise.all([0, 1].map(() => fileTicket(newTicket(), citizen, ports, context)));
    const seeded = structuredClone([...world.tickets.tickets]);
    const deadLetters: { body: string; reason: string }[] = [];
    const handler = sqsBatchHandler(
      makeRouteRecord(world.routing, async (item, reason) => void deadLetters.push({ body: item.body, reason })),
    );
    const valid = () => [
      ...filed.map((ticket) => ({ ticketId: ticket.ticketId })),
      { ticketId: '20250930-0000000000' },
    ];
    await fc.assert(
      fc.asyncProperty(batchOf(valid), async (bodies) => {
        world.tickets.tickets.clear();
        for (const [id, ticket] of structuredClone(seeded)) world.tickets.tickets.set(id, ticket);
        deadLetters.length = 0;
        const answer = await handler(sqsEvent(bodies), contextOf());
        // Nothing is given back to the queue: the stores are up, and poison goes to the DLQ at once.
        expect(failuresOf(answer)).toEqual([]);
        const routed = JSON.stringify([...world.tickets.tickets]);
        const poison = bodies.filter(
          (body) => !filed.some((ticket) => body === JSON.stringify({ ticketId: ticket.ticketId })),
        );
        expect(deadLetters.map((item) => item.body).sort()).toEqual(poison.sort());
        expect(deadLetters.every((item) => item.reason.length > 0)).toBe(true);
        // The same batch again: each ticket is routed already, nothing changes.
        await handler(sqsEvent(bodies), contextOf());
        expect(JSON.stringify([...world.tickets.tickets])).toBe(routed);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`${PROPERTIES['payments-settlement']}: a message that is no settlement event fails alone, a receipt is issued once`, async () => {
    const world = paymentsWorld();
    world.setNow(new Date());
    const order = await world.order(12_345, 1440);
    const pending = await world.order(1, 1440);
    const paid = genericCallback(
      {
        channelTxnId: 'bank-txn-1',
        paymentCode: order.paymentCode,
        amountFen: 12_345,
        currency: 'CNY',
        status: 'SUCCESS',
        paidAt: new Date().toISOString(),
      },
      { timestamp: Math.floor(Date.now() / 1000) },
    );
    await receiveCallback('bank', paid, world.deps, { requestId: 'seed' });
    const settled = world.published[0]!;
    const seeded = structuredClone([...world.orders]);
    const issued: string[] = [];
    const consumer = makeSettlementConsumer({
      store: world.store,
      audit: world.deps.audit,
      receipts: {
        issue: async (paidOrder) => {
          issued.push(paidOrder.orderId);
          return { receiptId: `R-${paidOrder.orderId}` };
        },
      },
      // No waiting for a write that will never come (an order that is not PAID): the wait is not what is tested.
      sleep: async () => undefined,
    } as Parameters<typeof makeSettlementConsumer>[0]);
    const handler = sqsBatchHandler(consumer);
    const valid = () => [settled, { ...settled, orderId: pending.orderId, paymentCode: pending.paymentCode }];
    await fc.assert(
      fc.asyncProperty(batchOf(valid), async (bodies) => {
        world.orders.clear();
        for (const [id, value] of structuredClone(seeded)) world.orders.set(id, value);
        issued.length = 0;
        const answer = await handler(sqsEvent(bodies), contextOf());
        // A settlement event (extra members allowed) for the PAID order; the other order is not PAID.
        const settles = (body: string) => {
          try {
            return settledEventSchema.safeParse(JSON.parse(body)).data?.orderId === order.orderId;
          } catch {
            return false;
          }
        };
        // Only the settlement event of the PAID order goes through; anything else is given back (then the DLQ).
        expect(failuresOf(answer)).toEqual(
          bodies.flatMap((body, index) => (settles(body) ? [] : [`m-${index}`])).sort(),
        );
        const receipts = world.orders.get(order.orderId)!.receiptId;
        expect(receipts === undefined).toBe(!bodies.some(settles));
        // The same batch again: the receipt is on the order, nothing is issued or recorded twice.
        const once = issued.length;
        const after = JSON.stringify([...world.orders]);
        await handler(sqsEvent(bodies), contextOf());
        expect(issued.length).toBe(once);
        expect(JSON.stringify([...world.orders])).toBe(after);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`${PROPERTIES['payments-reconcile']}: any object key and statement; a rerun writes nothing`, async () => {
    const world = paymentsWorld();
    const objects = new Map<string, string>();
    let puts = 0;
    const handler = makeReconcileHandler(world.deps, {
      get: async (key) => objects.get(key),
      put: async (key, body) => {
        puts++;
        objects.set(key, body);
      },
    });
    const VALID_CSV = `channelTxnId,paymentCode,amountFen,currency,status,paidAt\nbank-txn-9,12345678901234567897,100,CNY,SUCCESS,2026-11-29T10:00:00+08:00\n`;
    const key = fc.oneof(
      { arbitrary: fc.constantFrom('statements/bank/2026-11-29.csv', 'statements/bank/2026-02-30.csv'), weight: 3 },
      fc.constantFrom(
        'statements/%zz/2026-11-29.csv',
        'statements/bank%2F..%2F/2026-11-29.csv',
        'statements/bank/x.csv',
        'reports/x',
      ),
      text,
    );
    const csv = fc.oneof(
      { arbitrary: fc.constant(VALID_CSV), weight: 3 },
      fc
        .array(fc.oneof(text, fc.constantFrom('"', ',', '\n', VALID_CSV)), { maxLength: 6 })
        .map((parts) => parts.join('')),
    );
    await fc.assert(
      fc.asyncProperty(key, csv, async (objectKey, statement) => {
        objects.clear();
        world.orders.clear();
        world.txns.clear();
        world.flags.length = 0;
        const decodable = (() => {
          try {
            return decodeURIComponent(objectKey.replace(/\+/g, ' '));
          } catch {
            return undefined;
          }
        })();
        if (decodable !== undefined) objects.set(decodable, statement);
        const event = { Records: [{ s3: { object: { key: objectKey } } }] } as unknown as S3Event;
        let failed: unknown;
        await handler(event).catch((error: unknown) => {
          failed = error;
        });
        const reports = [...objects.keys()].filter((name) => name.startsWith('reconciliation/'));
        // Whatever the statement holds, a report says so (an unreadable one too); only an object key
        // that names no statement, or that S3 could not have sent, writes none.
        if (failed) expect(reports).toEqual([]);
        if (decodable !== undefined && statementOf(decodable)) expect(failed).toBeUndefined();
        if (!failed) {
          const before = puts;
          const state = JSON.stringify([[...objects], [...world.orders], [...world.txns], world.flags]);
          await handler(event);
          expect(puts).toBe(before);
          expect(JSON.stringify([[...objects], [...world.orders], [...world.txns], world.flags])).toBe(state);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`${PROPERTIES['audit-writer']}: what is no audit event is reported failed, an event is stored once`, async () => {
    const { ports, claims, objects, pending } = memoryWriterPorts();
    const handler = makeWriteAuditBatch('cn-north-1', ports);
    const event = (id: string) => ({
      eventId: id,
      time: '2026-11-30T02:00:00.000Z',
      actor: { kind: 'client', id: 'dept-market-app', clientId: 'dept-market-app' },
      action: 'licence.issued',
      resource: 'licence/L1',
      outcome: 'success',
      requestId: 'req-1',
      region: 'cn-north-1',
    });
    const valid = () => [event('e-1'), event('e-2')];
    await fc.assert(
      fc.asyncProperty(batchOf(valid), async (bodies) => {
        // Each run a fresh trail: a key announced in another run may name other bytes.
        claims.clear();
        objects.clear();
        pending.clear();
        const answer = await handler(sqsEvent(bodies), contextOf());
        const isEvent = (body: string) => {
          try {
            return auditEventSchema.safeParse(JSON.parse(body)).success;
          } catch {
            return false;
          }
        };
        // Failed: exactly the messages that are no audit event (a broken copy may still be one).
        expect(failuresOf(answer)).toEqual(
          bodies.flatMap((body, index) => (isEvent(body) ? [] : [`m-${index}`])).sort(),
        );
        const stored = new Set([...claims.keys()]);
        for (const body of bodies.filter(isEvent)) expect(stored.has(JSON.parse(body).eventId)).toBe(true);
        // The same batch again: the events are claimed by an object that exists, no new object.
        const count = objects.size;
        await handler(sqsEvent(bodies), contextOf());
        expect(objects.size).toBe(count);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('audit writer: a message whose event another writer claimed moments ago is reported failed, to come back', async () => {
    const { ports, claims, objects } = memoryWriterPorts();
    const handler = makeWriteAuditBatch('cn-north-1', ports);
    const event = (id: string) => paidEvent(id, '2026-11-30T02:00:00.000Z');
    claims.set('e-busy', { objectKey: 'events/being-written.jsonl.gz', claimedAt: Date.now() });
    const answer = await handler(sqsEvent([event('e-free'), event('e-busy'), event('e-busy')]), contextOf());
    expect(failuresOf(answer)).toEqual(['m-1', 'm-2']);
    expect([...objects.keys()]).toHaveLength(1);
    expect(claims.get('e-busy')?.objectKey).toBe('events/being-written.jsonl.gz');
  });

  it('audit writer: under a storm of transaction conflicts it gives up after five attempts and fails the whole batch', async () => {
    const memory = memoryWriterPorts();
    const event = paidEvent;
    // Two objects' worth: the first 100 are stored, the rest meet the storm.
    const bodies = Array.from({ length: 130 }, (_, i) =>
      event(`e-${i}`, new Date(Date.UTC(2026, 10, 30, 2, 0, i)).toISOString()),
    );
    // The first claim goes through; every later one meets a TransactionConflict.
    let claimsTried = 0;
    const ports: WriterPorts = {
      ...memory.ports,
      claimEvents: async (...args) => (++claimsTried === 1 ? memory.ports.claimEvents(...args) : false),
    };
    const answer = await makeWriteAuditBatch('cn-north-1', ports)(sqsEvent([...bodies, 'not json']), contextOf());
    expect(claimsTried).toBe(1 + 5);
    expect(failuresOf(answer)).toEqual([...bodies.map((_, i) => `m-${i}`), 'm-130'].sort());
    expect(memory.objects.size).toBe(1);
    // Back after the visibility timeout, the storm over: the stored 100 are dropped, the other 30 stored once.
    const again = await makeWriteAuditBatch('cn-north-1', memory.ports)(sqsEvent(bodies), contextOf());
    expect(failuresOf(again)).toEqual([]);
    const stored = [...memory.objects.values()].flatMap((bytes) => decodeEvents(bytes).map((e) => e.eventId));
    expect(stored.sort()).toEqual(bodies.map((_, i) => `e-${i}`).sort());
  });
});
