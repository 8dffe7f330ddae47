import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../functions/audit/domain.ts';
import { CLAIM_LEASE_MS, writeBatch, type WriterPorts } from '../../../functions/audit/write-batch.ts';

export interface WriterPortsUnderTest {
  ports: WriterPorts;
  /**
   * Whether a put over an existing object fails (S3's If-None-Match: *). The embedded S3 (fauxqs 1.x)
   * ignores the condition on puts and replaces the object: the writer reads before it puts, so there
   * the difference is only a put landing between another writer's read and its write.
   */
  conditionalPut: boolean;
  /** A claim as the writer made it before claims had a time (no claimedAt, no leaseUntil), at `madeAt`. */
  seedLegacyClaim(eventId: string, objectKey: string, madeAt: number): Promise<void>;
}

const key = () =>
  `events/2026/11/30/02/cn-north-1-1795917600000-${randomUUID().replaceAll('-', '').slice(0, 16)}.jsonl.gz`;
const pendingOf = (objectKey: string, bytes: Buffer) => ({
  key: objectKey,
  sha256: sha256Hex(bytes),
  size: bytes.length,
  events: 1,
  recordedAt: new Date().toISOString(),
});

/**
 * What the audit writer relies on of its ports. The same cases run on the in-memory ports that the
 * race properties use (test/unit/audit) and on DynamoDB Local and the embedded S3 (test/integration/audit):
 * a property explored over ports that answer differently would prove nothing.
 */
export function writerPortsContract(name: string, make: () => Promise<WriterPortsUnderTest>): void {
  describe(`${name} keep the audit writer's port contract`, () => {
    let t: WriterPortsUnderTest;
    beforeEach(async () => {
      t = await make();
    });

    it('claims all the events or none, each only as the writer saw it or already for this object', async () => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const [k1, k2] = [key(), key()];
      const times = { claimedAt: 1_000_000, leaseUntil: 1_040_000 };
      expect(await t.ports.claims([a, b])).toEqual(new Map());
      expect(await t.ports.claimEvents(k1, [{ eventId: b }], times)).toBe(true);
      // b is claimed since this writer read it unclaimed: nothing is claimed, a neither.
      expect(await t.ports.claimEvents(k2, [{ eventId: a }, { eventId: b }], times)).toBe(false);
      expect([...(await t.ports.claims([a, b])).keys()]).toEqual([b]);
      expect((await t.ports.claims([b])).get(b)).toEqual({ objectKey: k1, ...times });
      // Seen as it is: taken over. Seen before a change (another claimedAt): refused. Already this object's: fine.
      const seen = (await t.ports.claims([b])).get(b)!;
      const later = { claimedAt: 2_000_000, leaseUntil: 2_040_000 };
      expect(await t.ports.claimEvents(k2, [{ eventId: a }, { eventId: b, seen }], later)).toBe(true);
      expect(await t.ports.claimEvents(k1, [{ eventId: b, seen }], later)).toBe(false);
      expect(await t.ports.claimEvents(k2, [{ eventId: b, seen }, { eventId: c }], later)).toBe(true);
      expect(await t.ports.claims([a, b, c])).toEqual(
        new Map([a, b, c].map((id) => [id, { objectKey: k2, ...later }])),
      );
    });

    it("reads a claim made before claims had a time with its writer's lease (its time to live tells when)", async () => {
      const legacy = randomUUID();
      const k1 = key();
      const madeAt = Date.now() - 5_000;
      await t.seedLegacyClaim(legacy, k1, madeAt);
      const claim = (await t.ports.claims([legacy])).get(legacy)!;
      expect(claim.objectKey).toBe(k1);
      expect(claim.claimedAt).toBeUndefined();
      expect(claim.leaseUntil).toBeGreaterThanOrEqual(madeAt + CLAIM_LEASE_MS);
      expect(claim.leaseUntil).toBeLessThanOrEqual(madeAt + CLAIM_LEASE_MS + 1_000);
      // Taken over as seen.
      const times = { claimedAt: Date.now(), leaseUntil: Date.now() + 40_000 };
      expect(await t.ports.claimEvents(key(), [{ eventId: legacy, seen: claim }], times)).toBe(true);
      expect(await t.ports.claimEvents(key(), [{ eventId: legacy, seen: claim }], times)).toBe(false);
    });

    it('defers an event an old writer (still running, mid-deployment) claimed moments ago', async () => {
      const [legacy, other] = [randomUUID(), randomUUID()];
      const madeAt = Date.now() - 5_000;
      await t.seedLegacyClaim(legacy, key(), madeAt);
      const event = (eventId: string) => ({
        eventId,
        time: new Date(madeAt).toISOString(),
        actor: { kind: 'system' as const, id: 'test' },
        action: 'test.event.emit',
        resource: `test/${eventId}`,
        outcome: 'success' as const,
        requestId: eventId,
        region: 'cn-north-1',
      });
      const written = await writeBatch('cn-north-1', [event(legacy), event(other)], t.ports);
      expect(written.deferred).toEqual([legacy]);
      expect(written.objects.map((object) => object.events)).toEqual([1]);
    });

    it('announces a key with one SHA-256', async () => {
      const k1 = key();
      expect(await t.ports.recordPending(pendingOf(k1, Buffer.from('one')))).toBe(true);
      expect(await t.ports.recordPending(pendingOf(k1, Buffer.from('one')))).toBe(true);
      expect(await t.ports.recordPending(pendingOf(k1, Buffer.from('two')))).toBe(false);
    });

    it('puts an object, and again with the same bytes; reads it back', async () => {
      const k1 = key();
      expect(await t.ports.objectExists(k1)).toBe(false);
      expect(await t.ports.readObject(k1)).toBeUndefined();
      await t.ports.putObject(k1, Buffer.from('one'));
      await t.ports.putObject(k1, Buffer.from('one'));
      expect(await t.ports.objectExists(k1)).toBe(true);
      expect((await t.ports.readObject(k1))?.toString()).toBe('one');
    });

    it('refuses other bytes over an object (If-None-Match), where the S3 honours the condition', async () => {
      if (!t.conditionalPut) return;
      const k1 = key();
      await t.ports.putObject(k1, Buffer.from('one'));
      await expect(t.ports.putObject(k1, Buffer.from('two'))).rejects.toThrow(/other bytes/);
      expect((await t.ports.readObject(k1))?.toString()).toBe('one');
    });
  });
}
