import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { queues } from '../../shared/aws/sqs.ts';
import { sqsJsonBody } from '../../shared/sqs-json.ts';
import type { RoutingQueue } from './ports.ts';

/** The routing queue's message: the ticket id only (the ticket itself, with its phone, stays in the table). */
export const sqsRoutingQueue = (queueUrl: string): RoutingQueue => ({
  send: async (ticketId) => {
    await queues.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: sqsJsonBody({ ticketId }) }));
  },
});
