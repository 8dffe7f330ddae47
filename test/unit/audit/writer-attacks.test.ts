import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvents, sha256Hex } from '../../../functions/audit/domain.ts';
import { CLOCK_SKEW_MS, writeBatch, type WriterPorts } from '../../../functions/audit/write-batch.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { memoryWriterPorts } from '../../support/memory-writer-ports.ts';

const region = 'cn-north-1';
const start = Date.parse('2026-11-30T02:00:00Z');
/** Event n; `variant` changes its body but not its id or time (a retried emit, a bug, an attacker). */
const event = (n: number, variant = 0): AuditEvent => ({
  eventId: `e-${n}`,
  time: new Date(start + n * 1000).toISOString(),
  actor: { kind: 'client', id: 'dept-market', clientId: 'dept-market' },
  action: 'licence.issued',
  resource: `licence/L${n}`,
  outcome: 'success',
  requestId: variant === 0 ? `r-${n}` : `r-${n}-retry-${variant}`,
  region,
});

type Memory = ReturnType<typeof memoryWriterPorts>;

/** Each event's copies across the stored objects. */
function copies(memory: Memory): Map<string, number> {
  const count = new Map<string, number>();
  for (const bytes of memory.objects.values())
    for (const stored of decodeEvents(bytes)) count.set(stored.eventId, (count.get(stored.eventId) ?? 0) + 1);
  return count;
}

/** What a digest would record for each object (its pending record) matches the bytes stored. */
/** Each deferred event's message back alone at `now` (after the visibility timeout); then the copies of each event. */
async function copiesAfterRetrying(memory: Memory, deferred: readonly string[], now: () => Date) {
  for (const id of deferred) await writeBatch(region, [event(Number(id.slice(2)))], memory.ports, { now });
  return [...copies(memory).entries()].sort();
}

function announcedAsStored(memory: Memory) {
  return [...memory.objects].map(([key, bytes]) => ({
    key,
    matches: memory.pending.get(key)?.sha256 === sha256Hex(bytes),
  }));
}

/** Ports whose `step` (by default `putObject`) waits for `release`: a writer paused just before it. */
function pausedBeforePut(ports: WriterPorts, step: 'putObject' | 'readObject' = 'putObject') {
  let release: () => void = () => undefined;
  let reached: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const atPut = new Promise<void>((resolve) => (reached = resolve));
  const paused = async (...args: never[]) => {
    reached();
    await gate;
    return (ports[step] as (...a: never[]) => Promise<unknown>)(...args);
  };
  return { ports: { ...ports, [step]: paused } as WriterPorts, atPut, release: () => release() };
}

describe('the audit writer under attack', () => {
  it('one event in two messages with different bodies, in batches naming the same object: one copy, announced as stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (scheduler) => {
        const memory = memoryWriterPorts((label, run) => scheduler.schedule(Promise.resolve(label), label).then(run));
        const now = () => new Date(start + 5_000);
        // e-1 is the earliest in both, so both batches name one key; e-2's bodies differ.
        const batches = [
          [event(1), event(2)],
          [event(1), event(2, 1)],
        ];
        let pending = batches.map((batch) => ({ batch, run: writeBatch(region, batch, memory.ports, { now }) }));
        for (let round = 0; pending.length > 0 && round < 3; round++) {
          const results = await scheduler.waitFor(Promise.all(pending.map((item) => item.run)));
          // A deferred message comes back after the visibility timeout, alone.
          pending = results.flatMap((result, i) =>
            pending[i]!.batch.filter((item) => result.deferred.includes(item.eventId)).map((item) => ({
              batch: [item],
              run: writeBatch(region, [item], memory.ports, { now: () => new Date(start + 300_000) }),
            })),
          );
        }
        expect(pending).toEqual([]);
        expect([...copies(memory).entries()].sort()).toEqual([
          ['e-1', 1],
          ['e-2', 1],
        ]);
        expect(announcedAsStored(memory).filter((object) => !object.matches)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('a batch completing an object another writer claimed takes the claim for itself, so no writer takes it over meanwhile', async () => {
    const memory = memoryWriterPorts();
    // A claimed e-1 and e-2 with a deadline 40 s out, then crashed before writing.
    const crashed = memoryWriterPorts();
    await writeBatch(region, [event(1), event(2)], crashed.ports, {
      now: () => new Date(start),
      leaseUntil: start + 40_000,
    });
    for (const id of ['e-1', 'e-2']) memory.claims.set(id, crashed.claims.get(id)!);
    // B holds the same batch (SQS delivered it twice) just before that deadline, and is slow to write it.
    const b = pausedBeforePut(memory.ports);
    const writingB = writeBatch(region, [event(1), event(2)], b.ports, {
      now: () => new Date(start + 39_000),
      leaseUntil: start + 39_000 + 40_000,
    });
    await b.atPut;
    // C, well after A's deadline (and any clock skew), before B's, holds e-1 and e-2 among others:
    // B is alive and about to write them.
    const c = await writeBatch(region, [event(1), event(2), event(3)], memory.ports, {
      now: () => new Date(start + 40_000 + CLOCK_SKEW_MS + 10_000),
      leaseUntil: start + 150_000,
    });
    b.release();
    await writingB;
    expect(await copiesAfterRetrying(memory, c.deferred, () => new Date(start + 400_000))).toEqual([
      ['e-1', 1],
      ['e-2', 1],
      ['e-3', 1],
    ]);
  });

  it("a writer whose clock runs 30 s ahead does not take over a live writer's claim", async () => {
    const memory = memoryWriterPorts();
    // A (a true clock) claims e-1 and e-2 with its deadline, and is slow to write them.
    const a = pausedBeforePut(memory.ports);
    const writingA = writeBatch(region, [event(1), event(2)], a.ports, {
      now: () => new Date(start),
      leaseUntil: start + 30_000 + 10_000,
    });
    await a.atPut;
    // 11 s later (its deadline is 19 s away), B, whose clock says 41 s, holds e-1 with a new event.
    const ahead = (ms: number) => () => new Date(start + ms + 30_000);
    const b = await writeBatch(region, [event(1), event(3)], memory.ports, {
      now: ahead(11_000),
      leaseUntil: start + 11_000 + 30_000 + 40_000,
    });
    a.release();
    await writingA;
    expect(await copiesAfterRetrying(memory, b.deferred, ahead(300_000))).toEqual([
      ['e-1', 1],
      ['e-2', 1],
      ['e-3', 1],
    ]);
  });

  it('an object an attacker wrote first under the key the writer computes is not taken as the events stored', async () => {
    const memory = memoryWriterPorts();
    const batch = [event(1), event(2)];
    // The attacker predicted the key (the ids and the earliest time) and put bytes of its own there.
    const probe = memoryWriterPorts();
    const { key } = (await writeBatch(region, batch, probe.ports)).objects[0]!;
    memory.objects.set(key, Buffer.from('forged'));
    await expect(writeBatch(region, batch, memory.ports)).rejects.toThrow(/other bytes/);
    // The announcement keeps the writer's SHA-256: the seal lists that, and verify reports the object modified.
    expect(memory.pending.get(key)?.sha256).toBe(probe.pending.get(key)?.sha256);
    expect(memory.objects.get(key)?.toString()).toBe('forged');
  });
});

describe('the audit writer past what its lease covers', () => {
  it('a writer whose claim was taken over (a clock beyond CLOCK_SKEW_MS ahead) does not write a second copy', async () => {
    const memory = memoryWriterPorts();
    // A stalls after its claim (a throttled request, a pause), before it looks for the object.
    const a = pausedBeforePut(memory.ports, 'readObject');
    const writingA = writeBatch(region, [event(1), event(2)], a.ports, {
      now: () => new Date(start),
      leaseUntil: start + 40_000,
    });
    await a.atPut;
    // 11 s later, B's clock reads 90 s more: A's lease looks long over.
    const ahead = (ms: number) => () => new Date(start + ms + 90_000);
    await writeBatch(region, [event(1), event(3)], memory.ports, { now: ahead(11_000), leaseUntil: start + 200_000 });
    a.release();
    const { deferred } = await writingA;
    for (const id of deferred)
      await writeBatch(region, [event(Number(id.slice(2)))], memory.ports, { now: () => new Date(start + 400_000) });
    expect([...copies(memory).entries()].sort()).toEqual([
      ['e-1', 1],
      ['e-2', 1],
      ['e-3', 1],
    ]);
  });
});

/** The memory ports as one writer sees them: the port call numbered `crashAt` throws (the sandbox dies there). */
function crashingAt(ports: WriterPorts, crashAt: number | undefined) {
  let calls = 0;
  const wrapped = {} as Record<string, unknown>;
  for (const [name, port] of Object.entries(ports))
    wrapped[name] = async (...args: never[]) => {
      if (++calls === crashAt) throw new Error(`crashed before ${name}`);
      return (port as (...a: never[]) => Promise<unknown>)(...args);
    };
  return wrapped as unknown as WriterPorts;
}

describe('audit writers crashing while others race them', () => {
  it('converge on one copy of each event, announced as stored, whatever step each writer dies at', async () => {
    const writers = fc.array(
      fc.record({
        events: fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 6 }),
        // Each of these events' bodies: 0, or a second body (the same id emitted again).
        variant: fc.nat(1),
        crashAt: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
        /** A writer whose clock runs up to 30 s ahead. */
        skew: fc.integer({ min: 0, max: 30_000 }),
      }),
      { minLength: 2, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), writers, async (scheduler, plan) => {
        const memory = memoryWriterPorts((label, run) => scheduler.schedule(Promise.resolve(label), label).then(run));
        let clock = start;
        type Message = AuditEvent;
        const runOne = (batch: Message[], crashAt: number | undefined, skew: number) => {
          const at = clock;
          return writeBatch(region, batch, crashingAt(memory.ports, crashAt), {
            now: () => new Date(at + skew),
            leaseUntil: at + 40_000,
          }).then(
            (written) => batch.filter((item) => written.deferred.includes(item.eventId)),
            () => batch, // crashed: every message comes back
          );
        };
        let back = (
          await scheduler.waitFor(
            Promise.all(
              plan.map((w) =>
                runOne(
                  w.events.map((n) => event(n, w.variant)),
                  w.crashAt,
                  w.skew,
                ),
              ),
            ),
          )
        ).flat();
        // What failed comes back after the visibility timeout (3 minutes), one message per batch, no crashes.
        for (let round = 0; back.length > 0; round++) {
          expect(round).toBeLessThan(4);
          clock += 180_000;
          back = (await scheduler.waitFor(Promise.all(back.map((item) => runOne([item], undefined, 0))))).flat();
        }
        const expected = [...new Set(plan.flatMap((w) => w.events))].map((n) => `e-${n}`).sort();
        const stored = copies(memory);
        expect([...stored.keys()].sort()).toEqual(expected);
        expect([...stored.entries()].filter(([, count]) => count !== 1)).toEqual([]);
        expect(announcedAsStored(memory).filter((object) => !object.matches)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('audit writers racing over batches of more than 100 events', () => {
  it('store each of them once, in objects of at most 100', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 0, max: 120 }), async (scheduler, offset) => {
        const memory = memoryWriterPorts((label, run) => scheduler.schedule(Promise.resolve(label), label).then(run));
        const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => event(from + i));
        // Two SQS batches of 150 overlapping by 150 - offset messages, handled at once.
        const batches = [range(0, 150), range(offset, 150)];
        let back = (
          await scheduler.waitFor(
            Promise.all(
              batches.map((batch) => writeBatch(region, batch, memory.ports, { now: () => new Date(start) })),
            ),
          )
        ).flatMap((written, i) => batches[i]!.filter((item) => written.deferred.includes(item.eventId)));
        if (back.length > 0)
          back = (
            await scheduler.waitFor(writeBatch(region, back, memory.ports, { now: () => new Date(start + 300_000) }))
          ).deferred.map((id) => event(Number(id.slice(2))));
        expect(back).toEqual([]);
        const stored = copies(memory);
        expect(stored.size).toBe(150 + offset);
        expect([...stored.values()].every((count) => count === 1)).toBe(true);
        for (const bytes of memory.objects.values()) expect(decodeEvents(bytes).length).toBeLessThanOrEqual(100);
        expect(announcedAsStored(memory).filter((object) => !object.matches)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
