import { rmSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeEvents } from '../../../functions/audit/domain.ts';
import { writerPorts } from '../../../functions/audit/store.ts';
import { writeBatch, type WriterPorts } from '../../../functions/audit/write-batch.ts';
import { scratchDir } from '../../../local/scratch.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { event, freshTrail, region, type Trail } from './fixture.ts';

const dir = scratchDir('audit-crash');
let t: Trail;
let clock = Date.now();
/** SQS hands a failed batch back after the queue's visibility timeout: 6 × the writer's 30 s. */
const afterVisibilityTimeout = () => (clock += 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  t = await freshTrail(dir);
});

type Step = keyof WriterPorts | 'after the last step (the messages are not deleted)';
// objectExists runs only for events claimed already (a redelivery), never in a batch's first write.
const STEPS: Step[] = [
  'claims',
  'recordPending',
  'claimEvents',
  'readObject',
  'putObject',
  'after the last step (the messages are not deleted)',
];

/** The real writer ports, crashing once at `step` (after doing it, for the steps that write). */
function crashingPorts(step: Step) {
  const real = writerPorts(t.names);
  let crashed = false;
  const crash = () => {
    if (crashed) return;
    crashed = true;
    throw new Error(`crashed at ${step}`);
  };
  const ports = { ...real } as WriterPorts;
  for (const name of Object.keys(real) as (keyof WriterPorts)[]) {
    ports[name] = (async (...args: never[]) => {
      if (name === step && (name === 'claims' || name === 'objectExists' || name === 'readObject')) crash();
      const result = await (real[name] as (...a: never[]) => Promise<unknown>)(...args);
      if (name === step) crash(); // the write happened; the crash comes before the next step
      return result;
    }) as never;
  }
  return {
    ports,
    /** Writes at `clock`: a redelivery comes a visibility timeout (3 minutes) after the crash. */
    async write(batch: AuditEvent[]) {
      const { deferred } = await writeBatch(region, batch, ports, { now: () => new Date(clock) });
      expect(deferred).toEqual([]);
      if (step === STEPS.at(-1)) crash();
    },
  };
}

/** Every event of the sealed objects, with how many sealed objects hold it. */
async function sealedCopies(): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  const report = await t.verify();
  expect(report.findings).toEqual([]);
  expect(report.pending).toEqual([]);
  for (const key of await t.keys('events/'))
    for (const stored of decodeEvents(await t.read(key)))
      copies.set(stored.eventId, (copies.get(stored.eventId) ?? 0) + 1);
  return copies;
}

describe('the writer, crashing at every step', () => {
  it.each(STEPS)(
    'converges to one sealed copy of each event when it crashes at %s and SQS redelivers the batch',
    async (step) => {
      const batch = [event(), event(), event()];
      const writer = crashingPorts(step);
      await expect(writer.write(batch)).rejects.toThrow('crashed');
      afterVisibilityTimeout();
      await writer.write(batch); // the same messages
      await t.seal();
      const copies = await sealedCopies();
      expect([...copies.keys()].sort()).toEqual(batch.map((item) => item.eventId).sort());
      expect([...copies.values()].every((count) => count === 1)).toBe(true);
    },
  );

  it.each(STEPS)('converges when it crashes at %s and SQS redelivers the messages in other batches', async (step) => {
    const batch = [event(), event(), event(), event()];
    const later = [event(), event()];
    const writer = crashingPorts(step);
    await expect(writer.write(batch)).rejects.toThrow('crashed');
    afterVisibilityTimeout();
    // Redelivered split and mixed with new messages: every batch maps to another object key.
    await writer.write([batch[2]!, later[0]!, batch[0]!]);
    await writer.write([later[1]!, batch[3]!, batch[1]!]);
    await t.seal();
    const copies = await sealedCopies();
    expect([...copies.keys()].sort()).toEqual([...batch, ...later].map((item) => item.eventId).sort());
    expect([...copies.entries()].filter(([, count]) => count !== 1)).toEqual([]);
  });
});
