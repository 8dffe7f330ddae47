import { PutObjectCommand } from '@aws-sdk/client-s3';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { queryEvents } from '../../../cli/audit/query.ts';
import { verifyTrail } from '../../../cli/audit/verify.ts';
import { AuditChainError, decodeEvents, encodeEvents, sha256Hex } from '../../../functions/audit/domain.ts';
import { writerPorts } from '../../../functions/audit/store.ts';
import { ensureSigningKey } from '../../../local/keys.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { fileSigner, publicJwkOf } from '../../../shared/crypto/signer.ts';
import { clients, event, freshTrail, region, sealedTrail, type Trail } from './fixture.ts';

const dir = scratchDir('audit');
let t: Trail;

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  t = await freshTrail(dir);
});

describe('the writer', () => {
  it('stores a batch as one gzip JSON Lines object named by hour, region and sequence', async () => {
    const batch = [event(), event(), event()];
    const object = await t.write(batch);
    expect(object?.key).toMatch(/^events\/2026\/11\/29\/08\/cn-north-1-\d{13}-[0-9a-f]{16}\.jsonl\.gz$/);
    expect(await t.keys('events/')).toEqual([object!.key]);
    expect(decodeEvents(await t.read(object!.key))).toEqual(batch);
  });

  it('changes nothing when the same batch is delivered again', async () => {
    const batch = [event(), event()];
    await t.write(batch);
    expect(await t.write(batch)).toBeUndefined();
    expect(await t.keys('events/')).toHaveLength(1);
  });

  it('a redelivery mixed into a new batch stores only the new events', async () => {
    const first = [event(), event()];
    await t.write(first);
    const object = await t.write([first[1]!, event()]);
    expect(object?.events).toBe(1);
    await t.seal();
    expect(await t.query()).toHaveLength(3);
  });

  it('query shows each event once even when two objects hold it', async () => {
    const shared = event();
    for (const batch of [
      [shared, event()],
      [shared, event()],
    ]) {
      const key = `events/2026/11/29/08/${region}-${String(Date.parse(batch[1]!.time)).padStart(13, '0')}-${randomUUID().replace(/-/g, '').slice(0, 16)}.jsonl.gz`;
      await clients.s3.send(new PutObjectCommand({ Bucket: t.names.bucket, Key: key, Body: encodeEvents(batch) }));
    }
    const found = [];
    for await (const item of queryEvents(t.reader)) found.push(item);
    expect(found.filter((item) => item.eventId === shared.eventId)).toHaveLength(1);
    expect(found).toHaveLength(3);
  });
});

describe('query and report', () => {
  it('leave out events no digest lists yet, or mark them with --include-unsealed', async () => {
    const sealed = event();
    await t.write([sealed]);
    await t.seal();
    const unsealed = event();
    await t.write([unsealed]);
    expect((await t.query()).map((item) => item.event.eventId)).toEqual([sealed.eventId]);
    expect((await t.query(true)).map(({ event: e, sealed: s }) => [e.eventId, s])).toEqual([
      [sealed.eventId, true],
      [unsealed.eventId, false],
    ]);
  });

  it("filter on each event's own time: a redriven old event does not hide the fresh ones batched with it", async () => {
    const fresh = event();
    const old = { ...event(), time: new Date(Date.parse(fresh.time) - 3 * 86_400_000).toISOString() };
    const object = await t.write([old, fresh]);
    expect(object!.key).toContain('/2026/11/26/'); // named by its earliest event, three days earlier
    await t.seal();
    const found = [];
    for await (const item of queryEvents(t.reader, { from: new Date(Date.parse(fresh.time) - 1000) }))
      found.push(item.eventId);
    expect(found).toEqual([fresh.eventId]);
  });
});

describe('digests and verification', () => {
  it('chains signed digests from a genesis and verifies intact', async () => {
    const { objects, first, second } = await sealedTrail(t);
    expect(first.digest.sequence).toBe(1);
    expect(first.digest.objects.map((object) => object.key)).toEqual(
      objects
        .slice(0, 3)
        .map((object) => object.key)
        .sort(),
    );
    expect(second.digest.previous.key).toBe(first.key);
    expect(second.digest.objects.map((object) => object.key)).toEqual([objects[3]!.key]);
    const report = await t.verify();
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, headsChecked: true, objectsHashed: 4 });
    expect(report.regions).toEqual([expect.objectContaining({ region, digests: 3, objects: 4, events: 7 })]);
  });

  it('reports, against the local S3, that object versions could not be checked (fauxqs 1.x keeps none)', async () => {
    await sealedTrail(t);
    expect((await t.verify()).versions).toBe('not-versioned');
  });

  it('names an events object changed by one byte', async () => {
    const { objects } = await sealedTrail(t);
    const target = objects[1]!.key;
    const bytes = await t.read(target);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0x01, bytes.length - 5);
    await t.put(target, bytes);
    expect((await t.verify()).findings).toEqual([expect.objectContaining({ kind: 'modified', key: target })]);
  });

  it('names a deleted events object', async () => {
    const { objects } = await sealedTrail(t);
    await t.remove(objects[0]!.key);
    expect((await t.verify()).findings).toEqual([expect.objectContaining({ kind: 'deleted', key: objects[0]!.key })]);
  });

  it('names an inserted events object once a digest has closed its period', async () => {
    await sealedTrail(t);
    const forged = `events/2026/11/29/08/${region}-1795939200000-0123456789abcdef.jsonl.gz`;
    await t.put(forged, encodeEvents([event()]));
    expect((await t.verify()).pending).toEqual([forged]); // young and unsealed: it may still be a real write
    await t.seal();
    expect((await t.verify()).findings).toEqual([expect.objectContaining({ kind: 'inserted', key: forged })]);
  });

  it('names a removed digest in the middle and the link it breaks', async () => {
    const { first, second } = await sealedTrail(t);
    await t.remove(second.key);
    const report = await t.verify();
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'missing-digest', key: `${region} digest #2` }),
    );
    expect(report.findings.map((finding) => finding.detail).join(' ')).toContain(first.key);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'inserted', key: second.digest.objects[0]!.key }),
    );
  });

  it('names a digest whose content was altered', async () => {
    const { first } = await sealedTrail(t);
    const digest = JSON.parse((await t.read(first.key)).toString('utf8'));
    digest.objects = digest.objects.slice(1);
    await t.put(first.key, JSON.stringify(digest));
    const report = await t.verify();
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'bad-signature', key: first.key }));
    expect(report.findings.some((finding) => finding.kind === 'broken-link')).toBe(true);
  });

  it('refuses to run without a pinned key, and names a chain that starts from a key not pinned', async () => {
    await sealedTrail(t);
    await expect(verifyTrail(t.reader, { trustedKeys: [] })).rejects.toThrow(/trusted audit key/);
    const stranger = publicJwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect((await t.verify({ trustedKeys: [stranger] })).findings).toEqual([
      expect.objectContaining({ kind: 'untrusted-key', key: `digests/${region}-genesis.json` }),
    ]);
  });

  it('never forks the chain when two seals race', async () => {
    await t.write([event()]);
    const results = await Promise.allSettled([t.seal(), t.seal()]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    await t.seal();
    expect((await t.verify()).ok).toBe(true);
  });
});

describe('the seal', () => {
  it('seals an empty period too, keeping the chain continuous', async () => {
    await t.seal();
    const { digest } = await t.seal();
    expect(digest.sequence).toBe(2);
    expect(digest.objects).toEqual([]);
    expect((await t.verify()).ok).toBe(true);
  });

  it('stops with an error naming the head digest when it is missing, and again on every later try', async () => {
    const { third } = await sealedTrail(t);
    await t.remove(third.key);
    for (let i = 0; i < 2; i++) {
      const failure = await t.seal().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(AuditChainError);
      expect((failure as AuditChainError).key).toBe(third.key);
      expect((failure as Error).message).toContain(`${third.key} is missing from the bucket`);
    }
  });

  it('stops with an error naming the head digest when it is unreadable or altered', async () => {
    const { third } = await sealedTrail(t);
    await t.put(third.key, 'not json');
    await expect(t.seal()).rejects.toThrow(new RegExp(`${third.key} differs from the bytes the seal wrote`));
  });

  it('refuses to extend a chain with a key the chain does not name', async () => {
    await sealedTrail(t);
    const other = fileSigner(ensureSigningKey(join(dir, `other-${randomUUID()}.pem`)));
    await expect(t.seal(other)).rejects.toThrow(/which the chain does not name/);
  });

  it('rotates the key by a digest the previous key signs; only the new key seals after it', async () => {
    await sealedTrail(t);
    const next = fileSigner(ensureSigningKey(join(dir, `next-${randomUUID()}.pem`)));
    const rotation = await t.seal(t.signer, { rotateTo: await next.publicJwk() });
    expect(rotation.digest.nextKey?.kid).toBe(await next.kid());
    expect(rotation.digest.kid).toBe(await t.signer.kid());
    await expect(t.seal()).rejects.toThrow(/which the chain does not name/);
    await t.write([event()]);
    const after = await t.seal(next);
    expect(after.digest.kid).toBe(await next.kid());
    const report = await t.verify(); // pinned: the genesis key only
    expect(report.findings).toEqual([]);
    expect(report.regions[0]!.kid).toBe(await next.kid());
  });

  it('drops an announced object that never appeared once it is abandoned, and lists it if it appears', async () => {
    const ports = writerPorts(t.names);
    const ghost = {
      key: `events/2026/11/29/08/${region}-1795939200000-00000000000000aa.jsonl.gz`,
      sha256: 'x',
      size: 1,
      events: 1,
    };
    const bytes = encodeEvents([event()]);
    const late = {
      ...ghost,
      key: ghost.key.replace('aa.jsonl', 'bb.jsonl'),
      sha256: sha256Hex(bytes),
      size: bytes.length,
    };
    expect(await ports.recordPending({ ...ghost, recordedAt: new Date(Date.now() - 3_600_000).toISOString() })).toBe(
      true,
    );
    expect(await ports.recordPending({ ...late, recordedAt: new Date().toISOString() })).toBe(true);
    expect((await t.seal()).digest.objects).toEqual([]);
    await t.put(late.key, bytes);
    // Announced again by a writer of the same bytes: one announcement; other bytes are refused.
    expect(await ports.recordPending({ ...late, recordedAt: new Date().toISOString() })).toBe(true);
    expect(await ports.recordPending({ ...late, sha256: 'y', recordedAt: new Date().toISOString() })).toBe(false);
    expect((await t.seal()).digest.objects.map((object) => object.key)).toEqual([late.key]);
    expect((await t.verify()).ok).toBe(true);
  });
});
