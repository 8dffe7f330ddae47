import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { sqs } from './aws/sqs.ts';
import { DependencyUnavailableError } from './errors.ts';
import { logger } from './observability.ts';

export type AuditOutcome = 'success' | 'denied' | 'failure';

/** The audit event of API.md, Audit. */
export interface AuditEvent {
  eventId: string;
  time: string;
  actor: { kind: 'citizen' | 'enterprise' | 'client' | 'system' | 'anonymous'; id: string; clientId?: string };
  action: string;
  resource: string;
  outcome: AuditOutcome;
  requestId: string;
  sourceIp?: string;
  region: string;
}

export type AuditInput = Omit<AuditEvent, 'eventId' | 'time' | 'region'> & { eventId?: string; time?: string };
export type SendAudit = (body: string, eventId: string) => Promise<void>;
export type EmitAudit = (input: AuditInput) => Promise<AuditEvent>;

/** Sends to the audit queue; the audit writer turns the queue into the signed log. */
export const sqsAuditSender =
  (queueUrl: string): SendAudit =>
  async (body, eventId) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: { eventId: { DataType: 'String', StringValue: eventId } },
      }),
    );
  };

/**
 * A state change whose audit event cannot be queued must not complete: the emitter
 * throws DependencyUnavailable, which the HTTP layer answers as 503. Callers emit
 * before they commit, or commit in a way the retry makes idempotent.
 */
export function auditEmitter(send: SendAudit, region: string, now: () => Date = () => new Date()): EmitAudit {
  return async (input) => {
    const event: AuditEvent = {
      ...input,
      eventId: input.eventId ?? randomUUID(),
      time: input.time ?? now().toISOString(),
      region,
    };
    try {
      await send(JSON.stringify(event), event.eventId);
    } catch (error) {
      logger.error('audit event could not be queued', { action: event.action, error: (error as Error).message });
      throw new DependencyUnavailableError('audit queue');
    }
    return event;
  };
}
