import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvents } from '../../../functions/audit/domain.ts';
import { readObject, writerPorts, type AuditStoreNames } from '../../../functions/audit/store.ts';
import { CLAIM_LEASE_MS, CLOCK_SKEW_MS, writeBatch } from '../../../functions/audit/write-batch.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { clients, event, freshTrail, region, type Trail } from './fixture.ts';

const dir = scratchDir('audit-two-regions');
const peerRegion = 'cn-northwest-1';
let t: Trail;
let peer: AuditStoreNames;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  t = await freshTrail(dir);
  // The other region's writer: its own bucket, the same (global) control table.
  peer = { ...t.names, bucket: `audit-peer-${randomUUID().slice(0, 8)}`, region: peerRegion };
  await clients.s3.send(new CreateBucketCommand({ Bucket: peer.bucket }));
});

describe('an event in both regions’ audit queues', () => {
  it('(the home send timed out after it landed, then failed over) is stored by the region that claimed it first, once', async () => {
    const failedOver = event();
    const other = event();
    const home = await writeBatch(region, [failedOver], writerPorts(t.names));
    expect(home.objects).toHaveLength(1);
    // The peer's writer, after the claim replicated, whenever its batch comes (even after any lease).
    const later = () => new Date(Date.now() + 3 * (CLAIM_LEASE_MS + CLOCK_SKEW_MS));
    const written = await writeBatch(peerRegion, [failedOver, other], writerPorts(peer), { now: later });
    expect(written.deferred).toEqual([]);
    const peerEvents: string[] = [];
    for (const object of written.objects)
      peerEvents.push(...decodeEvents((await readObject(clients.s3, peer.bucket, object.key))!).map((e) => e.eventId));
    expect(peerEvents).toEqual([other.eventId]);
  });
});
