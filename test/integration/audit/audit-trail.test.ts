import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeEvents,
  encodeEvents,
  sealPeriod,
  writeBatch,
  type WriterPorts,
} from '../../../functions/audit/domain.ts';
import {
  sealPorts,
  s3TrailReader,
  withSealLock,
  writerPorts,
  type AuditStoreNames,
} from '../../../functions/audit/store.ts';
import { queryEvents } from '../../../cli/audit/query.ts';
import { verifyTrail } from '../../../cli/audit/verify.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { fileSigner, publicJwkOf } from '../../../shared/crypto/signer.ts';
import { ensureSigningKey } from '../../../local/keys.ts';
import { testClients } from '../../support/aws.ts';
import { scratchDir } from '../../../local/scratch.ts';
import { createSingleTable } from '../../../local/single-table.ts';

const clients = testClients();
const documents = DynamoDBDocumentClient.from(clients.dynamodb);
const dir = scratchDir('audit');
const signer = fileSigner(ensureSigningKey(join(dir, 'audit.pem')));
const region = 'cn-north-1';
let names: AuditStoreNames;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each test gets its own bucket and table, so findings never leak between tests.
beforeEach(async () => {
  const suffix = randomUUID().slice(0, 8);
  names = { s3: clients.s3, documents, bucket: `audit-${suffix}`, table: `control-${suffix}`, region };
  await clients.s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
  await createSingleTable(clients.dynamodb, names.table);
});

let clock = Date.parse('2026-11-29T08:00:00Z');
const event = (action = 'licences.issue', outcome: AuditEvent['outcome'] = 'success'): AuditEvent => ({
  eventId: randomUUID(),
  time: new Date((clock += 1000)).toISOString(),
  actor: { kind: 'client', id: 'dept-market', clientId: 'dept-market' },
  action,
  resource: `licence/${randomUUID().slice(0, 6)}`,
  outcome,
  requestId: randomUUID(),
  region,
});

const reader = () => s3TrailReader(clients.s3, names.bucket);
const seal = () => withSealLock(names, () => sealPeriod(region, new Date(), sealPorts(names, signer)));
const verify = (graceMs = 0) => verifyTrail(reader(), { graceMs });
const eventsKeys = async () => (await reader().list('events/')).map((entry) => entry.key);
const query = async () => {
  const found: AuditEvent[] = [];
  for await (const item of queryEvents(reader())) found.push(item);
  return found;
};
const readBytes = async (key: string) =>
  Buffer.from(
    await (
      await clients.s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: key }))
    ).Body!.transformToByteArray(),
  );

/** Writer ports that count object writes, to prove a redelivery never writes again. */
function countingPorts(failRecordOnce = false) {
  const real = writerPorts(names);
  let puts = 0;
  let failed = false;
  const ports: WriterPorts = {
    ...real,
    putObject: async (key, bytes) => {
      puts += 1;
      await real.putObject(key, bytes);
    },
    recordObject: async (object, ids) => {
      if (failRecordOnce && !failed) {
        failed = true;
        throw new Error('crashed after writing the object');
      }
      await real.recordObject(object, ids);
    },
  };
  return { ports, puts: () => puts };
}

describe('the writer', () => {
  it('stores a batch as one gzip JSON Lines object named by hour, region and sequence', async () => {
    const batch = [event(), event(), event()];
    const object = await writeBatch(region, batch, writerPorts(names));
    expect(object?.key).toMatch(/^events\/2026\/11\/29\/08\/cn-north-1-\d{13}-[0-9a-f]{16}\.jsonl\.gz$/);
    expect(await eventsKeys()).toEqual([object!.key]);
    expect(decodeEvents(await readBytes(object!.key))).toEqual(batch);
  });

  it('changes nothing when the same batch is delivered again', async () => {
    const batch = [event(), event()];
    const { ports, puts } = countingPorts();
    await writeBatch(region, batch, ports);
    const again = await writeBatch(region, batch, ports);
    expect(again).toBeUndefined();
    expect(puts()).toBe(1);
    expect((await eventsKeys()).length).toBe(1);
    expect((await query()).map((item) => item.eventId).sort()).toEqual(batch.map((item) => item.eventId).sort());
  });

  it('after a crash between the write and the delete, the redelivery neither overwrites nor duplicates', async () => {
    const batch = [event(), event(), event()];
    const { ports, puts } = countingPorts(true);
    await expect(writeBatch(region, batch, ports)).rejects.toThrow('crashed');
    await writeBatch(region, batch, ports); // SQS redelivers the same messages
    expect(puts()).toBe(1);
    expect((await eventsKeys()).length).toBe(1);
    expect((await query()).length).toBe(3);
  });

  it('a redelivery mixed into a new batch stores only the new events', async () => {
    const first = [event(), event()];
    await writeBatch(region, first, writerPorts(names));
    const fresh = event();
    const object = await writeBatch(region, [first[1]!, fresh], writerPorts(names));
    expect(object?.events).toBe(1);
    expect((await query()).length).toBe(3);
  });

  it('query shows each event once even when a crash left it in two objects', async () => {
    const shared = event();
    // Two objects that both hold `shared`: what a crash before recording could leave behind.
    for (const batch of [
      [shared, event()],
      [shared, event()],
    ]) {
      const bytes = encodeEvents(batch);
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: names.bucket,
          Key: `events/2026/11/29/08/${region}-${String(Date.parse(batch[1]!.time)).padStart(13, '0')}-${randomUUID().replace(/-/g, '').slice(0, 16)}.jsonl.gz`,
          Body: bytes,
        }),
      );
    }
    const found = await query();
    expect(found.filter((item) => item.eventId === shared.eventId)).toHaveLength(1);
    expect(found).toHaveLength(3);
  });
});

describe('digests and verification', () => {
  async function sealedTrail() {
    const objects = [];
    for (let i = 0; i < 3; i++)
      objects.push((await writeBatch(region, [event(), event('licences.revoke', 'denied')], writerPorts(names)))!);
    const first = await seal();
    objects.push((await writeBatch(region, [event()], writerPorts(names)))!);
    const second = await seal();
    return { objects, first, second };
  }

  it('chains signed digests from a genesis and verifies intact', async () => {
    const { objects, first, second } = await sealedTrail();
    expect(first.digest.sequence).toBe(1);
    expect(first.digest.objects.map((object) => object.key)).toEqual(
      objects
        .slice(0, 3)
        .map((object) => object.key)
        .sort(),
    );
    expect(second.digest.previous.key).toBe(first.key);
    expect(second.digest.objects.map((object) => object.key)).toEqual([objects[3]!.key]);
    const report = await verify();
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.regions).toEqual([expect.objectContaining({ region, digests: 2, objects: 4, events: 7 })]);
  });

  it('seals an empty period too, keeping the chain continuous', async () => {
    await seal();
    const { digest } = await seal();
    expect(digest.sequence).toBe(2);
    expect(digest.objects).toEqual([]);
    expect((await verify()).ok).toBe(true);
  });

  it('names an events object changed by one byte', async () => {
    const { objects } = await sealedTrail();
    const target = objects[1]!.key;
    const bytes = await readBytes(target);
    const at = bytes.length - 5;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
    await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: target, Body: bytes }));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'modified', key: target })]);
  });

  it('names a deleted events object', async () => {
    const { objects } = await sealedTrail();
    await clients.s3.send(new DeleteObjectCommand({ Bucket: names.bucket, Key: objects[0]!.key }));
    expect((await verify()).findings).toEqual([expect.objectContaining({ kind: 'deleted', key: objects[0]!.key })]);
  });

  it('names an inserted events object once a digest has closed its period', async () => {
    await sealedTrail();
    const forged = `events/2026/11/29/08/${region}-1795939200000-0123456789abcdef.jsonl.gz`;
    await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: forged, Body: encodeEvents([event()]) }));
    expect((await verify()).pending).toEqual([forged]); // not sealed yet: it may still be a real write
    await seal();
    expect((await verify()).findings).toEqual([expect.objectContaining({ kind: 'inserted', key: forged })]);
  });

  it('names a removed digest and the link it breaks', async () => {
    const { first, second } = await sealedTrail();
    await seal();
    await clients.s3.send(new DeleteObjectCommand({ Bucket: names.bucket, Key: second.key }));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'missing-digest', key: `${region} digest #2` }),
    );
    expect(report.findings.map((finding) => finding.detail).join(' ')).toContain(first.key);
    // The objects only the removed digest listed are now unaccounted for.
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'inserted', key: second.digest.objects[0]!.key }),
    );
  });

  it('names a digest whose content was altered', async () => {
    const { first } = await sealedTrail();
    const digest = JSON.parse((await readBytes(first.key)).toString('utf8'));
    digest.objects = digest.objects.slice(1);
    await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: first.key, Body: JSON.stringify(digest) }));
    const report = await verify();
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'bad-signature', key: first.key }));
    expect(report.findings.some((finding) => finding.kind === 'broken-link')).toBe(true);
  });

  it('refuses a chain signed with a key the auditor does not trust', async () => {
    await sealedTrail();
    const stranger = publicJwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const report = await verifyTrail(reader(), { graceMs: 0, trustedKeys: [stranger] });
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'untrusted-key' }));
    expect((await verifyTrail(reader(), { graceMs: 0, trustedKeys: [await signer.publicJwk()] })).ok).toBe(true);
  });

  it('never forks the chain when two seals race', async () => {
    await writeBatch(region, [event()], writerPorts(names));
    const results = await Promise.allSettled([seal(), seal()]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    await seal();
    expect((await verify()).ok).toBe(true);
  });
});
