import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { logger, metrics } from '../../shared/observability.ts';
import { PoisonMessageError, routeTicket } from './use-cases/routing.ts';

const messageSchema = z.strictObject({ ticketId: z.string().check(z.regex(/^\d{8}-[0-9a-z]{10}$/)) });

/**
 * The routing queue's consumer, record by record (Powertools batch, ReportBatchItemFailures): a record
 * that fails for a passing reason (a table or the audit queue down) is retried and after 5 receives
 * redriven to the DLQ; a poison message (not a ticket id, or no such ticket) is put in the DLQ at once
 * with its reason as a message attribute, and deleted, so it never holds up the others.
 */
export const makeRouteRecord =
  (ports: Parameters<typeof routeTicket>[1], deadLetter: (record: SQSRecord, reason: string) => Promise<void>) =>
  async (record: SQSRecord): Promise<void> => {
    let ticketId: string;
    try {
      const parsed = messageSchema.safeParse(JSON.parse(record.body));
      if (!parsed.success) throw new PoisonMessageError('the message is not { "ticketId": … }');
      ticketId = parsed.data.ticketId;
      const outcome = await routeTicket(ticketId, ports);
      logger.info('ticket routed', { ticketId, outcome });
    } catch (error) {
      const poison = error instanceof PoisonMessageError || error instanceof SyntaxError;
      if (!poison) throw error;
      const reason = error instanceof SyntaxError ? 'the message is not JSON' : error.message;
      logger.warn('poison message moved to the DLQ', { messageId: record.messageId, reason });
      metrics.addMetric('poisonMessage', 'Count', 1);
      await deadLetter(record, reason);
    }
  };
