import {
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Signer } from '../../shared/crypto/signer.ts';
import type { ChainHead, PendingObject, SealPorts } from './domain.ts';
import {
  CLAIM_LEASE_MS,
  MAX_EVENTS_PER_OBJECT,
  type Claim,
  type ClaimRequest,
  type WriterPorts,
} from './write-batch.ts';

export interface AuditStoreNames {
  s3: S3Client;
  documents: DynamoDBDocumentClient;
  bucket: string;
  table: string;
  region: string;
}

/** How long the writer remembers an event id to drop redeliveries: beyond any SQS retention. */
const REMEMBER_EVENTS_SECONDS = 30 * 24 * 3600;
const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const eventKey = (eventId: string) => ({ pk: `audit#event#${eventId}`, sk: 'stored' });
const pendingPk = (region: string) => `audit#pending#${region}`;
const chainPk = (region: string) => `audit#chain#${region}`;
const sealedPk = (region: string) => `audit#sealed#${region}`;
/** How long the seal remembers the objects it listed: far longer than a writer (30 s) runs. */
const REMEMBER_SEALED_SECONDS = 24 * 3600;

async function batchWrite(documents: DynamoDBDocumentClient, table: string, requests: Record<string, unknown>[]) {
  for (const chunk of chunks(requests, 25)) {
    let unprocessed: Record<string, unknown>[] | undefined = chunk;
    for (let attempt = 0; unprocessed?.length; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      if (attempt > 8) throw new Error(`DynamoDB kept ${unprocessed.length} writes unprocessed`);
      const result = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: unprocessed as never } }));
      unprocessed = result.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
    }
  }
}

/** Every item of `keys` that exists (consistent reads, 100 keys a request, unprocessed keys asked again). */
async function batchGet(
  documents: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
  projection: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (const chunk of chunks(keys, 100)) {
    let requested: Record<string, unknown>[] | undefined = chunk;
    while (requested?.length) {
      const result = await documents.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: requested, ProjectionExpression: projection, ConsistentRead: true } },
        }),
      );
      items.push(...(result.Responses?.[table] ?? []));
      requested = result.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return items;
}

async function putObject(names: AuditStoreNames, key: string, bytes: Buffer) {
  const json = key.endsWith('.json');
  await names.s3.send(
    new PutObjectCommand({
      Bucket: names.bucket,
      Key: key,
      Body: bytes,
      ContentType: json ? 'application/json' : 'application/gzip',
    }),
  );
}

/**
 * Puts an events object only where none is (S3's conditional write): two writers finishing the same
 * object must not leave a replaced version behind, which verify reports. An emulator that ignores
 * the condition (fauxqs) keeps no versions either.
 */
async function putEventsObject(names: AuditStoreNames, key: string, bytes: Buffer) {
  try {
    await names.s3.send(
      new PutObjectCommand({
        Bucket: names.bucket,
        Key: key,
        Body: bytes,
        ContentType: 'application/gzip',
        IfNoneMatch: '*',
      }),
    );
  } catch (error) {
    // 412: it exists. Its key names its events and only one SHA-256 is announced per key, so a writer's
    // has these bytes; other bytes were put by someone else. 409, a write in progress, is retried.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 412) throw error;
    const stored = await readObject(names.s3, names.bucket, key);
    if (stored && !stored.equals(bytes))
      throw new Error(`${key} is in the bucket with other bytes than its writer announced: not written by a writer`);
  }
}

export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } catch (error) {
    if (
      (error as Error).name === 'NoSuchKey' ||
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
    )
      return undefined;
    throw error;
  }
}

async function objectExists(names: AuditStoreNames, key: string): Promise<boolean> {
  try {
    await names.s3.send(new HeadObjectCommand({ Bucket: names.bucket, Key: key }));
    return true;
  } catch (error) {
    if (
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 ||
      (error as Error).name === 'NotFound'
    )
      return false;
    throw error;
  }
}

/**
 * A claim made before claims had a time (no claimedAt) still says when: its time to live was set to the
 * claim's second plus REMEMBER_EVENTS_SECONDS. Its writer (deployed before) may still be writing it.
 */
function legacyLease(item: Record<string, unknown>): Pick<Claim, 'leaseUntil'> {
  if (typeof item.claimedAt === 'number' || typeof item.expiresAt !== 'number') return {};
  return { leaseUntil: (item.expiresAt - REMEMBER_EVENTS_SECONDS + 1) * 1000 + CLAIM_LEASE_MS };
}

/** Whether DynamoDB cancelled a transaction because a condition failed or another transaction held an item. */
const lostToAnotherWriter = (error: unknown) =>
  (error as Error).name === 'TransactionCanceledException' &&
  ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).some(
    (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
  );

/** The condition that a claim is still what the writer saw, or already this object's. */
function unchangedClaim(request: ClaimRequest) {
  const { seen } = request;
  if (!seen) return { condition: 'attribute_not_exists(pk) OR objectKey = :key', values: {} };
  return seen.claimedAt === undefined
    ? {
        condition: '(objectKey = :seen AND attribute_not_exists(claimedAt)) OR objectKey = :key',
        values: { ':seen': seen.objectKey },
      }
    : {
        condition: '(objectKey = :seen AND claimedAt = :seenAt) OR objectKey = :key',
        values: { ':seen': seen.objectKey, ':seenAt': seen.claimedAt },
      };
}

export function writerPorts(names: AuditStoreNames): WriterPorts {
  return {
    async claims(eventIds) {
      const items = await batchGet(
        names.documents,
        names.table,
        [...new Set(eventIds)].map(eventKey),
        'pk, objectKey, claimedAt, leaseUntil, expiresAt',
      );
      const claimed = new Map<string, Claim>();
      for (const item of items)
        claimed.set(String(item.pk).slice('audit#event#'.length), {
          objectKey: String(item.objectKey),
          ...(typeof item.claimedAt === 'number' ? { claimedAt: item.claimedAt } : {}),
          ...(typeof item.leaseUntil === 'number' ? { leaseUntil: item.leaseUntil } : legacyLease(item)),
        });
      return claimed;
    },
    objectExists: (key) => objectExists(names, key),
    readObject: (key) => readObject(names.s3, names.bucket, key),
    putObject: (key, bytes) => putEventsObject(names, key, bytes),
    async recordPending(object: PendingObject) {
      try {
        await names.documents.send(
          new PutCommand({
            TableName: names.table,
            Item: { pk: pendingPk(names.region), sk: object.key, ...object },
            // One SHA-256 per key: two writers of the same event ids with different bodies announce one.
            ConditionExpression: 'attribute_not_exists(sk) OR sha256 = :sha256',
            ExpressionAttributeValues: { ':sha256': object.sha256 },
          }),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    async claimEvents(objectKey, requests, { claimedAt, leaseUntil }) {
      if (requests.length > MAX_EVENTS_PER_OBJECT)
        throw new Error(`one transaction claims at most ${MAX_EVENTS_PER_OBJECT} events, not ${requests.length}`);
      const expiresAt = Math.floor(claimedAt / 1000) + REMEMBER_EVENTS_SECONDS;
      try {
        await names.documents.send(
          new TransactWriteCommand({
            TransactItems: requests.map((request) => {
              const { condition, values } = unchangedClaim(request);
              return {
                Put: {
                  TableName: names.table,
                  Item: { ...eventKey(request.eventId), objectKey, claimedAt, leaseUntil, expiresAt },
                  ConditionExpression: condition,
                  ExpressionAttributeValues: { ':key': objectKey, ...values },
                },
              };
            }),
          }),
        );
        return true;
      } catch (error) {
        if (lostToAnotherWriter(error)) return false;
        throw error;
      }
    },
  };
}

export function sealPorts(names: AuditStoreNames, signer: Signer): SealPorts {
  return {
    signer,
    async head() {
      const { Item } = await names.documents.send(
        new GetCommand({
          TableName: names.table,
          Key: { pk: chainPk(names.region), sk: 'head' },
          ConsistentRead: true,
        }),
      );
      return Item ? (Item.head as ChainHead) : undefined;
    },
    async pending() {
      const objects: PendingObject[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await names.documents.send(
          new QueryCommand({
            TableName: names.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pendingPk(names.region) },
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        for (const item of page.Items ?? [])
          objects.push({
            key: String(item.key),
            sha256: String(item.sha256),
            size: Number(item.size),
            events: Number(item.events),
            recordedAt: typeof item.recordedAt === 'string' ? item.recordedAt : new Date(0).toISOString(),
          });
        start = page.LastEvaluatedKey;
      } while (start);
      return objects;
    },
    getObject: (key) => readObject(names.s3, names.bucket, key),
    objectExists: (key) => objectExists(names, key),
    putObject: (key, bytes) => putObject(names, key, bytes),
    async advanceHead(expected, next) {
      await names.documents.send(
        new PutCommand({
          TableName: names.table,
          Item: { pk: chainPk(names.region), sk: 'head', head: next },
          ...(expected
            ? {
                ConditionExpression: 'head.#sequence = :sequence',
                ExpressionAttributeNames: { '#sequence': 'sequence' },
                ExpressionAttributeValues: { ':sequence': expected.sequence },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
    },
    async sealedBefore(keys) {
      const requested = [...new Set(keys)].map((key) => ({ pk: sealedPk(names.region), sk: key }));
      const items = await batchGet(names.documents, names.table, requested, 'sk');
      return new Set(items.map((item) => String(item.sk)));
    },
    async markSealed(keys) {
      const expiresAt = Math.floor(Date.now() / 1000) + REMEMBER_SEALED_SECONDS;
      await batchWrite(
        names.documents,
        names.table,
        keys.map((key) => ({ PutRequest: { Item: { pk: sealedPk(names.region), sk: key, expiresAt } } })),
      );
    },
    async clearPending(keys) {
      await batchWrite(
        names.documents,
        names.table,
        keys.map((key) => ({ DeleteRequest: { Key: { pk: pendingPk(names.region), sk: key } } })),
      );
    },
  };
}

/** One seal at a time per region: the digest sequence must not fork. */
export async function withSealLock<T>(names: AuditStoreNames, run: () => Promise<T>, leaseSeconds = 120): Promise<T> {
  const now = Math.floor(Date.now() / 1000);
  const key = { pk: chainPk(names.region), sk: 'lock' };
  await names.documents.send(
    new PutCommand({
      TableName: names.table,
      Item: { ...key, expiresAt: now + leaseSeconds },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': now },
    }),
  );
  try {
    return await run();
  } finally {
    await names.documents.send(new DeleteCommand({ TableName: names.table, Key: key }));
  }
}

/** The head the seal recorded in the control table: the anchor outside the bucket that verify compares. */
export async function recordedHead(
  documents: DynamoDBDocumentClient,
  table: string,
  region: string,
): Promise<ChainHead | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: table, Key: { pk: chainPk(region), sk: 'head' }, ConsistentRead: true }),
  );
  return Item ? (Item.head as ChainHead) : undefined;
}

export interface TrailEntry {
  key: string;
  lastModified: Date;
  size: number;
}

export interface ObjectVersion {
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  lastModified: Date;
}

/** Read-only view of the audit bucket: all an auditor needs, no operator database. */
export interface TrailReader {
  list(prefix: string): Promise<TrailEntry[]>;
  read(key: string): Promise<Buffer | undefined>;
  /** Every version and delete marker under the prefix; undefined when the bucket keeps no versions. */
  versions?(prefix: string): Promise<ObjectVersion[] | undefined>;
}

export function s3TrailReader(s3: S3Client, bucket: string): TrailReader {
  return {
    async list(prefix) {
      const entries: TrailEntry[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? [])
          entries.push({ key: object.Key!, lastModified: object.LastModified ?? new Date(0), size: object.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return entries;
    },
    read: (key) => readObject(s3, bucket, key),
    async versions(prefix) {
      // An emulator without versioning (fauxqs 1.x) answers no status: nothing to list.
      const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
      if (Status !== 'Enabled' && Status !== 'Suspended') return undefined;
      const versions: ObjectVersion[] = [];
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionMarker,
          }),
        );
        for (const [list, deleteMarker] of [
          [page.Versions ?? [], false],
          [page.DeleteMarkers ?? [], true],
        ] as const)
          for (const version of list)
            versions.push({
              key: version.Key!,
              versionId: version.VersionId ?? 'null',
              isLatest: version.IsLatest === true,
              deleteMarker,
              lastModified: version.LastModified ?? new Date(0),
            });
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
      } while (keyMarker);
      return versions;
    },
  };
}
