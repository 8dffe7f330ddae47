import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsJsonBody } from '../../../shared/sqs-json.ts';
import type { SettledEvent } from '../model.ts';
import type { PublishSettlement } from '../ports.ts';

/**
 * The FIFO settlement queue: the order is the message group (its events in order, one at a time)
 * and the deduplication id (SQS drops a second event of one order within 5 minutes; after that the
 * consumer finds the receipt and does nothing).
 */
export const sqsSettlementPublisher =
  (sqs: Pick<SQSClient, 'send'>, queueUrl: string): PublishSettlement =>
  async (event: SettledEvent) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: sqsJsonBody(event),
        MessageGroupId: event.orderId,
        MessageDeduplicationId: event.orderId,
      }),
    );
  };
