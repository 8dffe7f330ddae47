import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { auditEventSchema, type AuditEvent } from '../../shared/audit.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { s3 } from '../../shared/aws/s3.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { logger, metrics, observed } from '../../shared/observability.ts';
import { writerConfigSchema } from './config.ts';
import { writeBatch, type WriterPorts } from './write-batch.ts';
import { writerPorts } from './store.ts';

const IN_FLIGHT_MARGIN_MS = 10_000;

/**
 * The audit queue's consumer: the batch becomes one events object (per 100 events). A record that is
 * not an audit event is reported as failed (and after maxReceiveCount lands in the DLQ, where
 * an alarm sees it); if the object cannot be written, every record is retried, and so is an
 * event another writer is storing at the same moment (a duplicate delivery in another batch).
 */
export const makeWriteAuditBatch =
  (region: string, ports: WriterPorts) =>
  async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    const failed: string[] = [];
    const batch: { messageId: string; event: AuditEvent }[] = [];
    for (const record of event.Records) {
      let parsed: ReturnType<typeof auditEventSchema.safeParse> | undefined;
      try {
        parsed = auditEventSchema.safeParse(JSON.parse(record.body));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) batch.push({ messageId: record.messageId, event: parsed.data });
      else {
        logger.warn('not an audit event; left for the DLQ', { messageId: record.messageId });
        failed.push(record.messageId);
      }
    }
    try {
      // Lambda stops this invocation at its deadline: past it (and a margin for a request in flight), its claims are void.
      const leaseUntil = context && Date.now() + context.getRemainingTimeInMillis() + IN_FLIGHT_MARGIN_MS;
      const { objects, deferred } = await writeBatch(
        region,
        batch.map((item) => item.event),
        ports,
        { leaseUntil },
      );
      for (const object of objects) {
        logger.info('events stored', { key: object.key, events: object.events });
        metrics.addMetric('auditEventsStored', 'Count', object.events);
      }
      if (deferred.length > 0) {
        // Another writer is storing these right now: back after the visibility timeout, they are dropped or stored.
        const waiting = new Set(deferred);
        failed.push(...batch.filter((item) => waiting.has(item.event.eventId)).map((item) => item.messageId));
        logger.info('events another writer is storing; retried later', { events: waiting.size });
      }
    } catch (error) {
      logger.error('events could not be stored; the batch will be retried', error as Error);
      failed.push(...batch.map((item) => item.messageId));
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };

const config = loadConfig(writerConfigSchema);
const ports = writerPorts({
  s3,
  documents,
  bucket: config[ENV.auditBucket],
  table: config[ENV.controlTable],
  region: config.region,
});
export const handler = observed(makeWriteAuditBatch(config.region, ports));
