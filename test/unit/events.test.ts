import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handler as fallback } from '../../functions/fallback/handler.ts';
import { auditEmitter, auditEventSchema } from '../../shared/audit.ts';
import { DependencyUnavailableError } from '../../shared/errors.ts';
import { sqsBatchHandler } from '../../shared/sqs-batch.ts';

// Real-shaped samples from events/, fed to the same code and schemas Lambda runs.
const sample = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as T;
const context = {
  awsRequestId: 'unit',
  functionName: 'unit',
  getRemainingTimeInMillis: () => 3_000,
} as unknown as Context;

describe('events/apigw-v2-unknown-route.json', () => {
  it('is answered by the fallback function with 404 problem+json', async () => {
    const result = await fallback(sample<APIGatewayProxyEventV2>('apigw-v2-unknown-route.json'), context);
    expect(result.statusCode).toBe(404);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(result.body!)).toMatchObject({
      status: 404,
      detail: 'no route serves GET /licences/unknown/thing',
    });
  });
});

describe('events/sqs-audit-batch.json', () => {
  const batch = sample<SQSEvent>('sqs-audit-batch.json');

  it('carries audit events the audit schema accepts', () => {
    for (const record of batch.Records) expect(auditEventSchema.safeParse(JSON.parse(record.body)).success).toBe(true);
  });

  it('reports only the failing record back to SQS', async () => {
    const handle = sqsBatchHandler(async (record) => {
      if (JSON.parse(record.body).outcome === 'denied') throw new Error('cannot store');
    });
    const response = await handle(batch, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[1]!.messageId }]);
  });
});

describe('the audit emitter', () => {
  const input = {
    actor: { kind: 'client' as const, id: 'dept-a' },
    action: 'unit.test',
    resource: 'thing/1',
    outcome: 'success' as const,
    requestId: 'r-1',
  };

  it('sends a complete event the writer can parse', async () => {
    const sent: string[] = [];
    const emit = auditEmitter(
      async (body) => void sent.push(body),
      'cn-north-1',
      () => new Date('2026-11-29T08:00:00Z'),
    );
    const event = await emit(input);
    expect(event).toMatchObject({ ...input, region: 'cn-north-1', time: '2026-11-29T08:00:00.000Z' });
    expect(auditEventSchema.parse(JSON.parse(sent[0]!))).toEqual(event);
  });

  it('turns a queue failure into 503 so the state change does not complete', async () => {
    const emit = auditEmitter(async () => {
      throw new Error('connect ECONNREFUSED');
    }, 'cn-north-1');
    const failure = await emit(input).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyUnavailableError);
    expect((failure as DependencyUnavailableError).status).toBe(503);
  });
});
