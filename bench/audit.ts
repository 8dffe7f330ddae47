import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeEvents, eventsObjectKey, sealPeriod, sha256Hex, type SealedObject } from '../functions/audit/domain.ts';
import { writeBatch } from '../functions/audit/write-batch.ts';
import { mapLimit } from '../cli/audit/parallel.ts';
import { s3TrailReader, sealPorts, withSealLock, writerPorts, type AuditStoreNames } from '../functions/audit/store.ts';
import { verifyTrail } from '../cli/audit/verify.ts';
import type { AuditEvent } from '../shared/audit.ts';
import { fileSigner } from '../shared/crypto/signer.ts';
import { localClients } from '../local/aws-clients.ts';
import { startEmbeddedAws } from '../local/embedded-aws.ts';
import { ensureSigningKey } from '../local/keys.ts';
import { freePort } from '../local/ports.ts';
import { scratchDir } from '../local/scratch.ts';
import { createSingleTable } from '../local/single-table.ts';
import { type BenchRow, median, percentile } from './table.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REGION = 'cn-north-1';
const WRITE_BATCHES = Number(process.env.BENCH_AUDIT_BATCHES ?? 50);
const WRITE_BATCH_SIZE = 100;
const TRAIL_OBJECTS = Number(process.env.BENCH_AUDIT_TRAIL_OBJECTS ?? 10_000);
const TRAIL_DIGESTS = 10;
const EVENTS_PER_OBJECT = 5;
const CONCURRENCY = 64;
const VERIFY_ROUNDS = 2;
/** Also time verify with one read in flight (as before): slow, so only on request. */
const SERIAL = process.env.BENCH_AUDIT_SERIAL === '1';

const MB = 1024 * 1024;

const ACTIONS = ['licence.apply', 'licence.approve', 'permit.renew', 'record.read', 'client.rotate'];
let sequence = 0;
function events(count: number): AuditEvent[] {
  const time = new Date().toISOString();
  return Array.from({ length: count }, () => {
    const n = sequence++;
    return {
      eventId: randomUUID(),
      time,
      actor: { kind: 'client', id: 'dept-x' },
      action: ACTIONS[n % ACTIONS.length]!,
      resource: `licences/${randomUUID()}`,
      outcome: 'success',
      requestId: randomUUID(),
      region: REGION,
    };
  });
}

/** Puts TRAIL_OBJECTS events objects, then seals them in TRAIL_DIGESTS periods with the real seal. */
async function buildTrail(names: AuditStoreNames, keyPath: string): Promise<SealedObject[]> {
  const all: SealedObject[] = [];
  const perDigest = Math.ceil(TRAIL_OBJECTS / TRAIL_DIGESTS);
  const ports = sealPorts(names, fileSigner(keyPath));
  for (let d = 0; d < TRAIL_DIGESTS; d++) {
    const count = Math.min(perDigest, TRAIL_OBJECTS - all.length);
    const objects = await mapLimit(Array.from({ length: count }), CONCURRENCY, async () => {
      const batch = events(EVENTS_PER_OBJECT);
      const key = eventsObjectKey(REGION, batch);
      const bytes = encodeEvents(batch);
      await names.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: bytes }));
      return { key, sha256: sha256Hex(bytes), size: bytes.length, events: batch.length };
    });
    const recordedAt = new Date().toISOString();
    const period = { ...ports, pending: async () => objects.map((object) => ({ ...object, recordedAt })) };
    const { digest } = await withSealLock(names, () => sealPeriod(REGION, new Date(), period));
    if (digest.objects.length !== count) throw new Error(`digest ${d} lists ${digest.objects.length} of ${count}`);
    all.push(...objects);
  }
  return all;
}

export async function auditBench(): Promise<BenchRow[]> {
  const dir = scratchDir('bench-audit');
  const aws = await startEmbeddedAws({
    dynamodbPort: await freePort(),
    servicesPort: await freePort(),
    region: REGION,
  });
  try {
    const { dynamodb, s3 } = localClients(aws.endpoints, REGION);
    const names: AuditStoreNames = {
      s3,
      documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      bucket: 'bench-audit-trail',
      table: 'bench-audit-control',
      region: REGION,
    };
    await createSingleTable(dynamodb, names.table);
    await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
    const keyPath = ensureSigningKey(join(dir, 'keys', 'audit-signing.pem'));
    const writer = writerPorts(names);

    // 1. Events written per second through the real writer path (dedupe lookup, S3 put, DynamoDB marks).
    for (let i = 0; i < 3; i++) await writeBatch(REGION, events(WRITE_BATCH_SIZE), writer); // warm
    const batchSamples: number[] = [];
    for (let i = 0; i < WRITE_BATCHES; i++) {
      const batch = events(WRITE_BATCH_SIZE);
      const started = performance.now();
      const { objects } = await writeBatch(REGION, batch, writer);
      batchSamples.push(performance.now() - started);
      if (objects.length !== 1 || objects[0]!.events !== WRITE_BATCH_SIZE)
        throw new Error(`writeBatch stored ${objects.length} objects, not one of ${WRITE_BATCH_SIZE} events`);
    }
    const writeSeconds = batchSamples.reduce((sum, ms) => sum + ms, 0) / 1000;
    const eventsPerSecond = (WRITE_BATCHES * WRITE_BATCH_SIZE) / writeSeconds;

    // 2. A trail of TRAIL_OBJECTS small objects (as many batches of a quiet hour leave), sealed by
    //    TRAIL_DIGESTS digests; put straight into S3, since the writer path is measured above.
    await withSealLock(names, () => sealPeriod(REGION, new Date(), sealPorts(names, fileSigner(keyPath))));
    const trail = await buildTrail(names, keyPath);
    const reader = s3TrailReader(s3, names.bucket);
    const trustedKeys = [await fileSigner(keyPath).publicJwk()];
    const checks = { trustedKeys, regions: [REGION], graceMs: 0, concurrency: CONCURRENCY };
    const keys = trail.map((object) => object.key);

    // Verify (lists, checks every digest and signature, hashes every object) and bare parallel GETs
    // of the same objects from the same S3, alternating, median of VERIFY_ROUNDS each.
    const verifySamples: number[] = [];
    const bareSamples: number[] = [];
    let hashed = 0;
    for (let i = 0; i < VERIFY_ROUNDS; i++) {
      let started = performance.now();
      const report = await verifyTrail(reader, checks);
      verifySamples.push(performance.now() - started);
      hashed = report.objectsHashed;
      if (!report.ok || report.objectsHashed < trail.length)
        throw new Error(
          `the bench trail does not verify: ${JSON.stringify({ findings: report.findings.slice(0, 3), hashed: report.objectsHashed })}`,
        );
      started = performance.now();
      const bytes = await mapLimit(keys, CONCURRENCY, async (key) => (await reader.read(key))?.length ?? 0);
      bareSamples.push(performance.now() - started);
      if (bytes.some((length) => length === 0)) throw new Error('a bare read found an object missing');
    }
    // Before, verify read one object at a time: the same verify with one read in flight, once.
    let serialMs: number | undefined;
    if (SERIAL) {
      const started = performance.now();
      await verifyTrail(reader, { ...checks, concurrency: 1 });
      serialMs = performance.now() - started;
    }

    const rate = (ms: number, objects = trail.length) => objects / (ms / 1000);
    const verifyRate = rate(median(verifySamples), hashed);
    const bareRate = rate(median(bareSamples));
    const trailMb = trail.reduce((sum, object) => sum + object.size, 0) / MB;

    const area = 'audit';
    return [
      {
        area,
        measure: `writer: events written, ${WRITE_BATCHES} batches of ${WRITE_BATCH_SIZE} (writeBatch → S3 + DynamoDB Local)`,
        value: eventsPerSecond,
        unit: 'events/s',
      },
      {
        area,
        measure: `writer: one batch of ${WRITE_BATCH_SIZE} events, ${WRITE_BATCHES} batches`,
        p50Ms: median(batchSamples),
        p99Ms: percentile(batchSamples, 99),
        perSecond: WRITE_BATCHES / writeSeconds,
      },
      {
        area,
        measure: `verify (verifyTrail from S3): trail of ${hashed} objects, ${trailMb.toFixed(2)} MB, ${TRAIL_DIGESTS + 1} digests, ${CONCURRENCY} reads in flight, median of ${VERIFY_ROUNDS} (${median(verifySamples).toFixed(0)} ms)`,
        value: verifyRate,
        unit: 'objects/s',
        ratio: verifyRate / bareRate,
        against: 'verify ÷ bare parallel GETs below (goal ≥ 0.5)',
      },
      {
        area,
        measure: `↳ bare parallel GETs of the same ${trail.length} objects from the same S3, ${CONCURRENCY} in flight, median of ${VERIFY_ROUNDS} (${median(bareSamples).toFixed(0)} ms)`,
        value: bareRate,
        unit: 'objects/s',
      },
      ...(serialMs === undefined
        ? []
        : [
            {
              area,
              measure: `verify reading one object at a time (as before), once (${serialMs.toFixed(0)} ms)`,
              value: rate(serialMs, hashed),
              unit: 'objects/s',
            },
          ]),
    ];
  } finally {
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
