import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import type { LambdaHost } from './lambda-host.ts';
import { ACCOUNT_ID } from './template.ts';

export interface Poller {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SqsMappingSpec {
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  host: LambdaHost;
  /**
   * Tests only: every batch is delivered twice, as SQS's at-least-once delivery may: at once from a
   * standard queue (a second receiver while the first still works), after the first has finished
   * from a FIFO queue (which holds a message group while it is in flight). A record is deleted
   * when either delivery succeeded with it.
   */
  deliverTwice?: boolean;
}

const toRecord = (message: Message, spec: SqsMappingSpec): SQSRecord => ({
  messageId: message.MessageId!,
  receiptHandle: message.ReceiptHandle!,
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: message.Attributes?.SenderId ?? ACCOUNT_ID,
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    ...(message.Attributes?.MessageGroupId ? { MessageGroupId: message.Attributes.MessageGroupId } : {}),
    ...(message.Attributes?.MessageDeduplicationId
      ? { MessageDeduplicationId: message.Attributes.MessageDeduplicationId }
      : {}),
  },
  messageAttributes: Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        stringValue: value.StringValue,
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  ),
  md5OfBody:
    message.MD5OfBody ??
    createHash('md5')
      .update(message.Body ?? '')
      .digest('hex'),
  eventSource: 'aws:sqs',
  eventSourceARN: spec.queueArn,
  awsRegion: spec.region,
});

/**
 * Lambda's SQS event source mapping: receive up to the batch size, invoke, then delete what
 * succeeded. With ReportBatchItemFailures only the reported records stay; an invocation
 * error keeps the whole batch. What stays becomes visible again after the queue's visibility
 * timeout, and the queue's redrive policy moves it to the DLQ after maxReceiveCount.
 */
export function pollQueue(sqs: SQSClient, spec: SqsMappingSpec, log: (line: string) => void): Poller {
  let running = true;
  const loop = (async () => {
    while (running) {
      let messages: Message[] = [];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: spec.queueUrl,
            MaxNumberOfMessages: Math.min(spec.batchSize, 10),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (running) log(`polling ${spec.queueUrl} failed: ${(error as Error).message}`);
        await sleep(1_000);
        continue;
      }
      if (messages.length === 0 || !running) continue;
      const records = messages.map((message) => toRecord(message, spec));
      const deliver = async (): Promise<Set<string>> => {
        try {
          const result = (await spec.host.invoke({ Records: records })) as SQSBatchResponse | null;
          if (spec.reportBatchItemFailures && result?.batchItemFailures)
            return new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
          return new Set();
        } catch (error) {
          log(`${spec.host.spec.displayName} failed a batch of ${records.length}: ${(error as Error).message}`);
          return new Set(records.map((record) => record.messageId));
        }
      };
      let keep: Set<string>;
      if (!spec.deliverTwice) keep = await deliver();
      else {
        const [first, second] = spec.queueUrl.endsWith('.fifo')
          ? [await deliver(), await deliver()]
          : await Promise.all([deliver(), deliver()]);
        keep = new Set([...first].filter((id) => second.has(id)));
      }
      const done = records.filter((record) => !keep.has(record.messageId));
      if (done.length > 0) {
        await sqs
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: spec.queueUrl,
              Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
            }),
          )
          .catch((error: Error) => log(`deleting from ${spec.queueUrl} failed: ${error.message}`));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

const RATE = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export const rateToMs = (expression: string): number | undefined => {
  const match = RATE.exec(expression.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!.replace(/s$/, '')]! : undefined;
};

/** EventBridge schedules with rate expressions; `timeScale` shrinks time for tests (1/60: minutes become seconds). */
export function fireSchedule(
  spec: { ruleArn: string; expression: string; region: string; host: LambdaHost; timeScale: number },
  log: (line: string) => void,
): Poller {
  const period = rateToMs(spec.expression);
  if (period === undefined) {
    log(`schedule ${spec.expression} is not a rate expression; it is not fired locally`);
    return { stop: async () => undefined };
  }
  const timer = setInterval(
    () => {
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: ACCOUNT_ID,
        time: new Date().toISOString(),
        region: spec.region,
        resources: [spec.ruleArn],
        detail: {},
      };
      spec.host
        .invoke(event)
        .catch((error: Error) => log(`${spec.host.spec.displayName} failed on schedule: ${error.message}`));
    },
    Math.max(50, period * spec.timeScale),
  );
  return {
    async stop() {
      clearInterval(timer);
    },
  };
}

export interface NotificationSpec {
  bucket: string;
  region: string;
  prefix: string;
  suffix: string;
  host: LambdaHost;
}

/**
 * S3 object-created notifications, found by listing: target-agnostic (the embedded emulator
 * and LocalStack alike) at the cost of up to one interval of delay. Objects present when the
 * runtime starts count as already delivered.
 */
export function watchBucket(
  s3: S3Client,
  spec: NotificationSpec,
  log: (line: string) => void,
  intervalMs = 500,
): Poller {
  let running = true;
  const seen = new Map<string, string>();
  const list = async () => {
    const objects: { key: string; etag: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: spec.bucket, Prefix: spec.prefix || undefined, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key?.endsWith(spec.suffix))
          objects.push({ key: object.Key, etag: object.ETag ?? '', size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  };
  const loop = (async () => {
    try {
      for (const object of await list()) seen.set(object.key, object.etag);
    } catch (error) {
      log(`watching ${spec.bucket} failed: ${(error as Error).message}`);
    }
    while (running) {
      await sleep(intervalMs);
      let objects: Awaited<ReturnType<typeof list>>;
      try {
        objects = await list();
      } catch {
        continue;
      }
      for (const object of objects) {
        if (seen.get(object.key) === object.etag || !running) continue;
        seen.set(object.key, object.etag);
        const event = {
          Records: [
            {
              eventVersion: '2.1',
              eventSource: 'aws:s3',
              awsRegion: spec.region,
              eventTime: new Date().toISOString(),
              eventName: 'ObjectCreated:Put',
              s3: {
                s3SchemaVersion: '1.0',
                bucket: { name: spec.bucket, arn: `arn:aws:s3:::${spec.bucket}` },
                object: {
                  key: encodeURIComponent(object.key).replace(/%2F/g, '/'),
                  size: object.size,
                  eTag: object.etag.replace(/"/g, ''),
                },
              },
            },
          ],
        };
        await spec.host
          .invoke(event)
          .catch((error: Error) =>
            log(`${spec.host.spec.displayName} failed on s3://${spec.bucket}/${object.key}: ${error.message}`),
          );
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
