import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, metrics, observed } from './observability.ts';

/**
 * Wraps a per-record handler for an SQS event source with ReportBatchItemFailures:
 * a record that throws is reported back and retried by SQS (and after maxReceiveCount
 * moved to the DLQ by the queue's redrive policy); the batch's other records are deleted.
 */
export function sqsBatchHandler(handleRecord: (record: SQSRecord) => Promise<void>) {
  const processor = new BatchProcessor(EventType.SQS);
  const traced = async (record: SQSRecord) => {
    try {
      await handleRecord(record);
    } catch (error) {
      logger.warn('record failed; SQS will retry it', { messageId: record.messageId, error: (error as Error).message });
      metrics.addMetric('recordFailed', 'Count', 1);
      throw error;
    }
  };
  return observed(
    async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
      processPartialResponse(event, traced, processor, { context, throwOnFullBatchFailure: false }),
  );
}
