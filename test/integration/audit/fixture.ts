import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject, vi } from 'vitest';
import { verify as verifyCommand } from '../../../cli/audit/actions.ts';
import { queryTrail, type QueriedEvent } from '../../../cli/audit/query.ts';
import { verifyTrail, type VerifyOptions } from '../../../cli/audit/verify.ts';
import { sealPeriod, type SealOptions } from '../../../functions/audit/domain.ts';
import {
  recordedHead,
  s3TrailReader,
  sealPorts,
  withSealLock,
  writerPorts,
  type AuditStoreNames,
} from '../../../functions/audit/store.ts';
import { writeBatch } from '../../../functions/audit/write-batch.ts';
import { ensureSigningKey } from '../../../local/keys.ts';
import { createSingleTable } from '../../../local/single-table.ts';
import type { AuditEvent } from '../../../shared/audit.ts';
import { fileSigner, type Signer } from '../../../shared/crypto/signer.ts';
import { testClients } from '../../support/aws.ts';

export const region = 'cn-north-1';
export const clients = testClients();
export const documents = DynamoDBDocumentClient.from(clients.dynamodb, {
  marshallOptions: { removeUndefinedValues: true },
});

/** A fresh bucket and control table: findings never leak between tests. */
export async function freshTrail(dir: string, keyName = 'audit.pem') {
  const suffix = randomUUID().slice(0, 8);
  const names: AuditStoreNames = {
    s3: clients.s3,
    documents,
    bucket: `audit-${suffix}`,
    table: `control-${suffix}`,
    region,
  };
  await clients.s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
  await createSingleTable(clients.dynamodb, names.table);
  const keyFile = ensureSigningKey(join(dir, keyName));
  const signer = fileSigner(keyFile);
  return trail(names, signer, keyFile, dir);
}

let clock = Date.parse('2026-11-29T08:00:00Z');
export const event = (action = 'licences.issue', outcome: AuditEvent['outcome'] = 'success'): AuditEvent => ({
  eventId: randomUUID(),
  time: new Date((clock += 1000)).toISOString(),
  actor: { kind: 'client', id: 'dept-market', clientId: 'dept-market' },
  action,
  resource: `licence/${randomUUID().slice(0, 6)}`,
  outcome,
  requestId: randomUUID(),
  region,
});

export type Trail = ReturnType<typeof trail>;

function trail(names: AuditStoreNames, signer: Signer, keyFile: string, dir: string) {
  const reader = s3TrailReader(clients.s3, names.bucket);
  const t = {
    names,
    signer,
    reader,
    /** Stores a batch with no other writer about: its one object, or undefined when every event is stored already. */
    write: async (batch: AuditEvent[]) => {
      const { objects, deferred } = await writeBatch(region, batch, writerPorts(names));
      if (deferred.length > 0 || objects.length > 1) throw new Error(`expected one object, nothing deferred`);
      return objects[0];
    },
    seal: (withSigner: Signer = signer, options: SealOptions = {}) =>
      withSealLock(names, () => sealPeriod(region, new Date(), sealPorts(names, withSigner), options)),
    /** verify as the CLI runs it: the pinned key, this deployment's region, the recorded heads. */
    verify: async (options: Partial<VerifyOptions> = {}) =>
      verifyTrail(reader, {
        trustedKeys: [await signer.publicJwk()],
        regions: [region],
        graceMs: 0,
        recordedHead: (r) => recordedHead(documents, names.table, r),
        ...options,
      }),
    query: async (includeUnsealed = false) => {
      const found: QueriedEvent[] = [];
      for await (const item of queryTrail(reader, {}, { includeUnsealed })) found.push(item);
      return found;
    },
    keys: async (prefix: string) => (await reader.list(prefix)).map((entry) => entry.key).sort(),
    read: async (key: string) =>
      Buffer.from(
        await (
          await clients.s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: key }))
        ).Body!.transformToByteArray(),
      ),
    put: (key: string, body: Buffer | string) =>
      clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: body })),
    remove: (key: string) => clients.s3.send(new DeleteObjectCommand({ Bucket: names.bucket, Key: key })),
    /** `dgov audit verify` in-process against this trail, as `npm start` would have pinned it: exit code and output. */
    async cli(...args: string[]) {
      const localDir = join(dir, `local-${names.bucket}`);
      mkdirSync(localDir, { recursive: true });
      writeFileSync(
        join(localDir, 'env.json'),
        JSON.stringify({
          apiUrl: 'http://127.0.0.1:1',
          region,
          endpoints: inject('aws'),
          tables: { controlTable: names.table },
          buckets: { auditBucket: names.bucket },
          queues: {},
          functions: {},
          routes: [],
          auditKey: `file:${keyFile}`,
          auditTrustedKeys: [await signer.publicJwk()],
        }),
      );
      const lines: string[] = [];
      const log = vi
        .spyOn(console, 'log')
        .mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
      const previous = process.env.DGOV_LOCAL_DIR;
      process.env.DGOV_LOCAL_DIR = localDir;
      try {
        const options: Record<string, unknown> = { grace: '0' };
        for (let i = 0; i < args.length; i += 2) options[args[i]!.replace(/^--/, '')] = args[i + 1];
        const status = await verifyCommand(options, false);
        return { status, stdout: lines.join('\n') };
      } finally {
        log.mockRestore();
        if (previous === undefined) delete process.env.DGOV_LOCAL_DIR;
        else process.env.DGOV_LOCAL_DIR = previous;
      }
    },
  };
  return t;
}

/** A trail of three sealed digests over four objects, as the seal schedule leaves it. */
export async function sealedTrail(t: Trail) {
  const objects = [];
  for (let i = 0; i < 3; i++) objects.push((await t.write([event(), event('licences.revoke', 'denied')]))!);
  const first = await t.seal();
  objects.push((await t.write([event()]))!);
  const second = await t.seal();
  const third = await t.seal();
  return { objects, first, second, third };
}
