import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvents } from '../../../functions/audit/domain.ts';
import { writerPorts } from '../../../functions/audit/store.ts';
import { writeBatch } from '../../../functions/audit/write-batch.ts';
import { queryTrail, type QueriedEvent } from '../../../cli/audit/query.ts';
import { scratchDir } from '../../../local/scratch.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { event, freshTrail, region, type Trail } from './fixture.ts';

const dir = scratchDir('audit-hour-boundary');
let t: Trail;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  t = await freshTrail(dir);
});

const at = (time: string): AuditEvent => ({ ...event(), eventId: randomUUID(), time });

describe('a batch across an hour boundary', () => {
  it('is stored under the hour of its earliest event, once, and a query of the later hour finds its later events', async () => {
    const before = at('2026-11-30T01:59:59.999Z');
    const after = at('2026-11-30T02:00:00.000Z');
    const { objects } = await writeBatch(region, [after, before], writerPorts(t.names));
    expect(objects.map((object) => object.key)).toEqual([expect.stringMatching(/^events\/2026\/11\/30\/01\//)]);
    // Delivered again, split: the later event alone would name an object of hour 02; it is dropped.
    expect((await writeBatch(region, [after], writerPorts(t.names))).objects).toEqual([]);
    expect(await t.keys('events/')).toEqual([objects[0]!.key]);
    expect(decodeEvents(await t.read(objects[0]!.key)).map((stored) => stored.eventId)).toEqual([
      before.eventId,
      after.eventId,
    ]);
    await t.seal();
    expect((await t.verify()).findings).toEqual([]);
    const found: QueriedEvent[] = [];
    for await (const item of queryTrail(t.reader, {
      from: new Date('2026-11-30T02:00:00Z'),
      to: new Date('2026-11-30T02:59:59Z'),
    }))
      found.push(item);
    expect(found.map((item) => item.event.eventId)).toEqual([after.eventId]);
  });
});
