import { auditEmitter, sqsAuditSender } from '../../shared/audit.ts';
import { documents } from '../../shared/aws/dynamodb.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { logger, metrics, observed } from '../../shared/observability.ts';
import { sweeperConfigSchema } from './config.ts';
import { dynamoTicketStore } from './dynamodb/tickets.ts';
import { HOTLINE_ENV } from './env.ts';
import { sqsRoutingQueue } from './queue.ts';
import { sweepTimers } from './use-cases/sweep.ts';

const config = loadConfig(sweeperConfigSchema);
const ports = {
  tickets: dynamoTicketStore(documents, config[HOTLINE_ENV.table]),
  audit: auditEmitter(sqsAuditSender(config[ENV.auditQueueUrl]), config.region),
  queue: sqsRoutingQueue(config[HOTLINE_ENV.routingQueueUrl]),
  now: () => new Date(),
  countMetric: (name: string, count = 1) => metrics.addMetric(name, 'Count', count),
};

/** The SLA sweeper, on a rate schedule: reminders at 50% and 75%, breaches escalated, lost routing messages sent again (use-cases/sweep.ts). */
export const handler = observed(async () => {
  const result = await sweepTimers(ports);
  if (result.reminded || result.breached || result.requeued) logger.info('timers fired', { ...result });
  return result;
});
