import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { requestIdsFor } from './audit-request.ts';
import { queues } from './aws/sqs.ts';
import { DependencyUnavailableError } from './errors.ts';
import { logger } from './observability.ts';
import { sqsSafeJson } from './sqs-json.ts';

/** The audit event of docs/audit.md; the writer parses queue messages with it. */
export const auditEventSchema = z.object({
  eventId: z.string().check(z.minLength(1)),
  time: z.iso.datetime(),
  actor: z.object({
    kind: z.enum(['citizen', 'enterprise', 'client', 'system', 'anonymous']),
    id: z.string(),
    clientId: z.optional(z.string()),
  }),
  action: z.string().check(z.minLength(1)),
  resource: z.string(),
  outcome: z.enum(['success', 'denied', 'failure']),
  requestId: z.string(),
  /** The caller's own x-request-id, when it sent one; requestId is always the server's. */
  callerRequestId: z.optional(z.string()),
  sourceIp: z.optional(z.string()),
  region: z.string(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditOutcome = AuditEvent['outcome'];

export type AuditInput = Omit<AuditEvent, 'eventId' | 'time' | 'region'> & { eventId?: string; time?: string };
export type SendAudit = (body: string, eventId: string) => Promise<void>;
export type EmitAudit = (input: AuditInput) => Promise<AuditEvent>;

/** Sends to the audit queue (or, when it is unreachable, the other region's); the audit writer turns the queue into the signed log. */
export const sqsAuditSender =
  (queueUrl: string): SendAudit =>
  async (body, eventId) => {
    await queues.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: sqsSafeJson(body),
        MessageAttributes: { eventId: { DataType: 'String', StringValue: eventId } },
      }),
    );
  };

/**
 * Within an HTTP request, the event keeps the server's request id; a caller's x-request-id (which
 * the handler may have passed as requestId) goes to callerRequestId, never replacing it.
 */
function requestIdsOf(input: AuditInput): Pick<AuditEvent, 'requestId' | 'callerRequestId'> {
  const ids = requestIdsFor(input.requestId);
  if (!ids) return { requestId: input.requestId, callerRequestId: input.callerRequestId };
  return { requestId: ids.server, callerRequestId: input.callerRequestId ?? ids.caller };
}

/**
 * A state change whose audit event cannot be queued must not complete: the emitter
 * throws DependencyUnavailable, which the HTTP layer answers as 503. Callers emit
 * before they commit, or commit in a way the retry makes idempotent.
 */
export function auditEmitter(send: SendAudit, region: string, now: () => Date = () => new Date()): EmitAudit {
  return async (input) => {
    const event: AuditEvent = {
      ...input,
      ...requestIdsOf(input),
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
