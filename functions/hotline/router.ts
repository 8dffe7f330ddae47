import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { queues } from '../../shared/aws/sqs.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { metrics } from '../../shared/observability.ts';
import { sqsBatchHandler } from '../../shared/sqs-batch.ts';
import { routerConfigSchema, slaPolicyOf } from './config.ts';
import { dynamoTicketStore } from './dynamodb/tickets.ts';
import { HOTLINE_ENV } from './env.ts';
import { loadRules } from './rules-config.ts';
import { makeRouteRecord } from './route-record.ts';

const config = loadConfig(routerConfigSchema);
const ports: Parameters<typeof makeRouteRecord>[0] = {
  tickets: dynamoTicketStore(documents, config[HOTLINE_ENV.table]),
  audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
  now: () => new Date(),
  countMetric: (name, count = 1) => metrics.addMetric(name, 'Count', count),
  rules: loadRules(),
  sla: slaPolicyOf(config[HOTLINE_ENV.sla]),
};
const toDeadLetters = async (record: SQSRecord, reason: string) => {
  await queues.send(
    new SendMessageCommand({
      QueueUrl: config[HOTLINE_ENV.deadLetterQueueUrl],
      MessageBody: record.body,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: reason },
        sourceMessageId: { DataType: 'String', StringValue: record.messageId },
      },
    }),
  );
};

export const handler = sqsBatchHandler(makeRouteRecord(ports, toDeadLetters));
