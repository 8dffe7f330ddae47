import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvents } from '../../../functions/audit/domain.ts';
import { writerPorts } from '../../../functions/audit/store.ts';
import { CLAIM_LEASE_MS, writeBatch } from '../../../functions/audit/write-batch.ts';
import { scratchDir } from '../../../local/scratch.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { event, freshTrail, region, type Trail } from './fixture.ts';

const dir = scratchDir('audit-races');
let t: Trail;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  t = await freshTrail(dir);
});

/** Each event's copies across the bucket's events objects. */
async function copies(): Promise<Map<string, number>> {
  const count = new Map<string, number>();
  for (const key of await t.keys('events/'))
    for (const stored of decodeEvents(await t.read(key)))
      count.set(stored.eventId, (count.get(stored.eventId) ?? 0) + 1);
  return count;
}

describe('audit writers racing on DynamoDB Local', () => {
  it('store each event once when overlapping batches are written at the same moment', async () => {
    const all: AuditEvent[] = [];
    let clock = Date.now();
    for (let round = 0; round < 8; round++) {
      const events = Array.from({ length: 8 }, () => event());
      all.push(...events);
      // Standard SQS: every message in two batches, composed differently, handed to four writers at once.
      const batches = [
        events.slice(0, 5),
        events.slice(3, 8),
        [...events.slice(6), ...events.slice(0, 2)],
        events.slice(2, 7),
      ];
      const written = await Promise.all(
        batches.map((batch) => writeBatch(region, batch, writerPorts(t.names), { now: () => new Date(clock) })),
      );
      let deferred = written.flatMap((result) => result.deferred);
      while (deferred.length > 0) {
        clock += 3 * CLAIM_LEASE_MS; // back after the visibility timeout
        const again = all.filter((item) => deferred.includes(item.eventId));
        deferred = (await writeBatch(region, again, writerPorts(t.names), { now: () => new Date(clock) })).deferred;
      }
    }
    const stored = await copies();
    expect([...stored.keys()].sort()).toEqual(all.map((item) => item.eventId).sort());
    expect([...stored.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    await t.seal();
    const report = await t.verify();
    expect(report.findings).toEqual([]);
    expect(await t.query()).toHaveLength(all.length);
  });
});
