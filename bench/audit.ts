import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sealPeriod, writeBatch, type SealedObject } from '../functions/audit/domain.ts';
import { s3TrailReader, sealPorts, withSealLock, writerPorts, type AuditStoreNames } from '../functions/audit/store.ts';
import { verifyTrail, type VerifyReport } from '../cli/audit/verify.ts';
import type { AuditEvent } from '../shared/audit.ts';
import { fileSigner } from '../shared/crypto/signer.ts';
import { localClients } from '../local/aws-clients.ts';
import { startEmbeddedAws } from '../local/embedded-aws.ts';
import { ensureSigningKey } from '../local/keys.ts';
import { freePort } from '../local/ports.ts';
import { scratchDir } from '../local/scratch.ts';
import { createSingleTable } from '../local/single-table.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REGION = 'cn-north-1';
const WRITE_BATCHES = Number(process.env.BENCH_AUDIT_BATCHES ?? 50);
const WRITE_BATCH_SIZE = 100;
const LARGE_BATCHES = Number(process.env.BENCH_AUDIT_LARGE_BATCHES ?? 40);
const LARGE_BATCH_SIZE = 2000;
const VERIFY_ROUNDS = 3;

const percentile = (samples: number[], p: number) =>
  [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
const median = (samples: number[]) => percentile(samples, 50);
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

export async function auditBench(): Promise<[string, string][]> {
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
      const object = await writeBatch(REGION, batch, writer);
      batchSamples.push(performance.now() - started);
      if (object?.events !== WRITE_BATCH_SIZE)
        throw new Error(`writeBatch stored ${object?.events ?? 0} of ${WRITE_BATCH_SIZE} events`);
    }
    const writeSeconds = batchSamples.reduce((sum, ms) => sum + ms, 0) / 1000;
    const eventsPerSecond = (WRITE_BATCHES * WRITE_BATCH_SIZE) / writeSeconds;

    // Larger objects, so the volume verify hashes is several MB rather than a few KB.
    for (let i = 0; i < LARGE_BATCHES; i++) await writeBatch(REGION, events(LARGE_BATCH_SIZE), writer);

    // 2. One seal over everything, then verify the whole trail from S3.
    const { digest } = await withSealLock(names, () =>
      sealPeriod(REGION, new Date(), sealPorts(names, fileSigner(keyPath))),
    );
    const expectedObjects = 3 + WRITE_BATCHES + LARGE_BATCHES;
    if (digest.objects.length !== expectedObjects)
      throw new Error(`the digest lists ${digest.objects.length} objects, expected ${expectedObjects}`);
    const reader = s3TrailReader(s3, names.bucket);
    const verifySamples: number[] = [];
    let report: VerifyReport | undefined;
    for (let i = 0; i < VERIFY_ROUNDS; i++) {
      const started = performance.now();
      report = await verifyTrail(reader, { graceMs: 0 });
      verifySamples.push(performance.now() - started);
      if (!report.ok || report.pending.length > 0 || report.regions[0]?.objects !== expectedObjects) {
        throw new Error(
          `the bench trail does not verify: ${JSON.stringify({ ok: report.ok, findings: report.findings.slice(0, 3), pending: report.pending.length, regions: report.regions })}`,
        );
      }
    }
    const totalBytes = digest.objects.reduce((sum: number, object: SealedObject) => sum + object.size, 0);
    if (report!.bytesHashed !== totalBytes)
      throw new Error(`verify hashed ${report!.bytesHashed} bytes, the digest lists ${totalBytes}`);
    const verifyMBps = report!.bytesHashed / MB / (median(verifySamples) / 1000);

    // Raw SHA-256 in memory over buffers of the same sizes: the floor verify cannot beat.
    const buffers = digest.objects.map((object: SealedObject) => randomBytes(object.size));
    const hashAll = () => {
      for (const buffer of buffers) createHash('sha256').update(buffer).digest('hex');
    };
    hashAll(); // warm
    const rawSamples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      hashAll();
      rawSamples.push(performance.now() - started);
    }
    const rawMBps = totalBytes / MB / (median(rawSamples) / 1000);
    const largeObjects = digest.objects.filter((object: SealedObject) => object.events === LARGE_BATCH_SIZE);
    const largeKb = median(largeObjects.map((object: SealedObject) => object.size)) / 1024;

    return [
      [
        `audit writer: events written per second, ${WRITE_BATCHES} batches of ${WRITE_BATCH_SIZE} (writeBatch → S3 + DynamoDB Local)`,
        `${eventsPerSecond.toFixed(0)} events/s`,
      ],
      [
        `audit writer: one batch of ${WRITE_BATCH_SIZE} events, median of ${WRITE_BATCHES}`,
        `${median(batchSamples).toFixed(2)} ms (p95 ${percentile(batchSamples, 95).toFixed(2)} ms)`,
      ],
      [
        `audit verify (verifyTrail from S3, ${digest.objects.length} objects incl. ${LARGE_BATCHES} of ${LARGE_BATCH_SIZE} events ≈ ${largeKb.toFixed(0)} KB gzip, ${(totalBytes / MB).toFixed(1)} MB hashed), median of ${VERIFY_ROUNDS}`,
        `${verifyMBps.toFixed(1)} MB/s (${median(verifySamples).toFixed(0)} ms)`,
      ],
      [
        `raw SHA-256 (node:crypto, in memory, same ${digest.objects.length} buffer sizes), median of 5`,
        `${rawMBps.toFixed(0)} MB/s`,
      ],
      [
        'ratio raw SHA-256 ÷ audit verify (cost of S3 reads, listing and signature checks)',
        `${(rawMBps / verifyMBps).toFixed(1)}×`,
      ],
    ];
  } finally {
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
