import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
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
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Signer } from '../../shared/crypto/signer.ts';
import type { ChainHead, SealedObject, SealPorts, WriterPorts } from './domain.ts';

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

export function writerPorts(names: AuditStoreNames, now: () => Date = () => new Date()): WriterPorts {
  return {
    async alreadyStored(eventIds) {
      const stored = new Set<string>();
      for (const chunk of chunks([...new Set(eventIds)], 100)) {
        let keys: Record<string, unknown>[] | undefined = chunk.map(eventKey);
        while (keys?.length) {
          const result = await names.documents.send(
            new BatchGetCommand({ RequestItems: { [names.table]: { Keys: keys, ProjectionExpression: 'pk' } } }),
          );
          for (const item of result.Responses?.[names.table] ?? [])
            stored.add(String(item.pk).slice('audit#event#'.length));
          keys = result.UnprocessedKeys?.[names.table]?.Keys as Record<string, unknown>[] | undefined;
        }
      }
      return stored;
    },
    async objectExists(key) {
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
    },
    putObject: (key, bytes) => putObject(names, key, bytes),
    async recordObject(object: SealedObject, eventIds) {
      const expiresAt = Math.floor(now().getTime() / 1000) + REMEMBER_EVENTS_SECONDS;
      // The pending marker first: if the event marks fail, the redelivery finds the object by key.
      await names.documents.send(
        new PutCommand({ TableName: names.table, Item: { pk: pendingPk(names.region), sk: object.key, ...object } }),
      );
      await batchWrite(
        names.documents,
        names.table,
        eventIds.map((id) => ({ PutRequest: { Item: { ...eventKey(id), objectKey: object.key, expiresAt } } })),
      );
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
      const objects: SealedObject[] = [];
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
          });
        start = page.LastEvaluatedKey;
      } while (start);
      return objects;
    },
    getObject: (key) => readObject(names.s3, names.bucket, key),
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

/** Read-only view of the audit bucket: all an auditor needs, no operator database. */
export interface TrailReader {
  list(prefix: string): Promise<{ key: string; lastModified: Date; size: number }[]>;
  read(key: string): Promise<Buffer | undefined>;
}

export function s3TrailReader(s3: S3Client, bucket: string): TrailReader {
  return {
    async list(prefix) {
      const entries: { key: string; lastModified: Date; size: number }[] = [];
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
  };
}
