import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalClients } from './aws-clients.ts';

interface SnapshotEntry {
  key: string;
  file: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

/**
 * fauxqs keeps S3 in memory; the embedded runtime writes the buckets' objects under
 * .local/s3/ when it stops and puts them back when it starts, so data survives a restart.
 */
export async function saveBuckets(clients: LocalClients, buckets: readonly string[], dir: string): Promise<number> {
  let count = 0;
  for (const bucket of buckets) {
    const bucketDir = join(dir, bucket);
    rmSync(bucketDir, { recursive: true, force: true });
    mkdirSync(join(bucketDir, 'objects'), { recursive: true });
    const manifest: SnapshotEntry[] = [];
    let token: string | undefined;
    do {
      const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
        const file = String(manifest.length);
        writeFileSync(join(bucketDir, 'objects', file), await got.Body!.transformToByteArray());
        manifest.push({ key: object.Key!, file, contentType: got.ContentType, metadata: got.Metadata });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    writeFileSync(join(bucketDir, 'manifest.json'), JSON.stringify(manifest));
    count += manifest.length;
  }
  return count;
}

export async function restoreBuckets(clients: LocalClients, buckets: readonly string[], dir: string): Promise<number> {
  let count = 0;
  for (const bucket of buckets) {
    const manifestPath = join(dir, bucket, 'manifest.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SnapshotEntry[];
    const files = new Set(readdirSync(join(dir, bucket, 'objects')));
    for (const entry of manifest) {
      if (!files.has(entry.file)) continue;
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: entry.key,
          Body: readFileSync(join(dir, bucket, 'objects', entry.file)),
          ContentType: entry.contentType,
          Metadata: entry.metadata,
        }),
      );
      count += 1;
    }
  }
  return count;
}
