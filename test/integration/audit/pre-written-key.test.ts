import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvents, eventsObjectKey } from '../../../functions/audit/domain.ts';
import { writerPorts } from '../../../functions/audit/store.ts';
import { writeBatch } from '../../../functions/audit/write-batch.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { event, freshTrail, region, type Trail } from './fixture.ts';

const dir = scratchDir('audit-pre-written');
let t: Trail;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  t = await freshTrail(dir);
});

describe('an attacker who can write the bucket pre-writes the key the writer will compute', () => {
  it('the writer fails the batch, and once sealed verify reports the object modified', async () => {
    const batch = [event(), event('licences.revoke', 'denied')];
    const key = eventsObjectKey(region, batch);
    await t.put(key, encodeEvents([{ ...batch[0]!, action: 'licences.issue.forged' }]));
    await expect(writeBatch(region, batch, writerPorts(t.names))).rejects.toThrow(
      /other bytes than its writer announced/,
    );
    // SQS brings the batch back: its events are claimed by an object that exists, and dropped.
    expect(await writeBatch(region, batch, writerPorts(t.names))).toEqual({ objects: [], deferred: [] });
    const { digest } = await t.seal();
    expect(digest.objects.map((object) => object.key)).toEqual([key]);
    const report = await t.verify();
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'modified', key })]);
  });
});
