import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvents } from '../../../functions/audit/domain.ts';
import { CLAIM_LEASE_MS, CLOCK_SKEW_MS, writeBatch } from '../../../functions/audit/write-batch.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { memoryWriterPorts } from '../../support/memory-writer-ports.ts';

const region = 'cn-north-1';
const event = (n: number): AuditEvent => ({
  eventId: `e-${n}`,
  time: new Date(Date.UTC(2026, 10, 30, 2, 0, n)).toISOString(),
  actor: { kind: 'client', id: 'dept-market', clientId: 'dept-market' },
  action: 'licence.issued',
  resource: `licence/L${n}`,
  outcome: 'success',
  requestId: `r-${n}`,
  region,
});

/** Batches over 6 events, overlapping as standard SQS redelivers them: a message in several batches at once. */
const overlappingBatches = fc.array(fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 6 }), {
  minLength: 2,
  maxLength: 4,
});

/** How many objects hold each event. */
function copies(objects: Map<string, Buffer>): Map<string, number> {
  const count = new Map<string, number>();
  for (const bytes of objects.values())
    for (const stored of decodeEvents(bytes)) count.set(stored.eventId, (count.get(stored.eventId) ?? 0) + 1);
  return count;
}

describe('audit writers racing over the same events', () => {
  it('store each event in exactly one object, whatever the interleaving, once deferred events come back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), overlappingBatches, async (scheduler, batches) => {
        const memory = memoryWriterPorts((label, run) => scheduler.schedule(Promise.resolve(label), label).then(run));
        let clock = Date.parse('2026-11-30T02:00:00Z');
        const now = () => new Date(clock);
        const writing = Promise.all(
          batches.map((numbers) => writeBatch(region, numbers.map(event), memory.ports, { now })),
        );
        let deferred = (await scheduler.waitFor(writing)).flatMap((written) => written.deferred);
        // Deferred messages come back after the visibility timeout (longer than the lease), alone.
        while (deferred.length > 0) {
          clock += 3 * CLAIM_LEASE_MS;
          const again = writeBatch(
            region,
            deferred.map((id) => event(Number(id.slice(2)))),
            memory.ports,
            { now },
          );
          deferred = (await scheduler.waitFor(again)).deferred;
        }
        const expected = [...new Set(batches.flat())].map((n) => `e-${n}`).sort();
        const stored = copies(memory.objects);
        expect([...stored.keys()].sort()).toEqual(expected);
        expect([...stored.entries()].filter(([, count]) => count !== 1)).toEqual([]);
        // Every object a digest could list was announced first.
        for (const key of memory.objects.keys()) expect(memory.pending.has(key)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('defers an event claimed moments ago by an object not written yet, and takes it over after the lease', async () => {
    const memory = memoryWriterPorts();
    const start = Date.parse('2026-11-30T02:00:00Z');
    memory.claims.set('e-1', { objectKey: 'events/crashed.jsonl.gz', claimedAt: start });
    const early = await writeBatch(region, [event(1), event(2)], memory.ports, { now: () => new Date(start + 1_000) });
    expect(early.deferred).toEqual(['e-1']);
    expect(early.objects.map((object) => object.events)).toEqual([1]);
    expect(
      (await writeBatch(region, [event(1)], memory.ports, { now: () => new Date(start + CLAIM_LEASE_MS + 1) }))
        .deferred,
    ).toEqual(['e-1']); // its lease is over by this clock, which may run ahead of the claimer's
    const late = await writeBatch(region, [event(1)], memory.ports, {
      now: () => new Date(start + CLAIM_LEASE_MS + CLOCK_SKEW_MS),
    });
    expect(late.deferred).toEqual([]);
    expect(late.objects.map((object) => object.events)).toEqual([1]);
    expect(memory.claims.get('e-1')?.objectKey).toBe(late.objects[0]!.key);
  });

  it('takes over a claim once the deadline its writer named has passed (and any clock skew), and not before', async () => {
    const memory = memoryWriterPorts();
    const start = Date.parse('2026-11-30T02:00:00Z');
    const at = (ms: number) => ({ now: () => new Date(start + ms) });
    const first = memoryWriterPorts();
    await writeBatch(region, [event(1), event(2)], first.ports, { ...at(0), leaseUntil: start + 40_000 });
    memory.claims.set('e-1', first.claims.get('e-1')!); // its object was never written: the writer crashed
    expect((await writeBatch(region, [event(1)], memory.ports, at(40_000 + CLOCK_SKEW_MS - 1))).deferred).toEqual([
      'e-1',
    ]);
    expect((await writeBatch(region, [event(1)], memory.ports, at(40_000 + CLOCK_SKEW_MS))).objects).toHaveLength(1);
  });

  it('writes the very object a busy writer claimed when the batch holds all its events (the same batch again)', async () => {
    const memory = memoryWriterPorts();
    const start = Date.parse('2026-11-30T02:00:00Z');
    const crashed = memoryWriterPorts();
    await writeBatch(region, [event(1), event(2)], crashed.ports, { now: () => new Date(start) });
    for (const id of ['e-1', 'e-2']) memory.claims.set(id, crashed.claims.get(id)!); // claimed, then S3 failed
    const again = await writeBatch(region, [event(2), event(1), event(3)], memory.ports, {
      now: () => new Date(start + 5_000),
    });
    expect(again.deferred).toEqual([]);
    expect([...memory.objects.keys()].sort()).toEqual(
      [...crashed.objects.keys(), again.objects.find((object) => object.events === 1)!.key].sort(),
    );
    expect(memory.objects.get([...crashed.objects.keys()][0]!)).toEqual([...crashed.objects.values()][0]);
  });

  it('splits a batch of more than 100 events into objects of at most 100 (one claim transaction each)', async () => {
    const memory = memoryWriterPorts();
    const written = await writeBatch(
      region,
      Array.from({ length: 230 }, (_, n) => event(n)),
      memory.ports,
    );
    expect(written.objects.map((object) => object.events)).toEqual([100, 100, 30]);
    expect(copies(memory.objects).size).toBe(230);
  });
});
