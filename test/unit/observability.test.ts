import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConflictError } from '../../shared/errors.ts';
import { httpHandler, json, type HttpResult } from '../../shared/http.ts';
import { logger, metrics, observed } from '../../shared/observability.ts';
import { defineRoute } from '../../shared/route-contract.ts';
import { sqsBatchHandler } from '../../shared/sqs-batch.ts';

// What Powertools writes (JSON log lines, EMF metrics) goes to stdout, warnings and errors to stderr.
let lines: string[];
beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

type Line = Record<string, unknown> & { _aws?: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
const parsed = (): Line[] => lines.map((line) => JSON.parse(line) as Line);
const logLine = (message: string) => parsed().find((line) => line.message === message);
const emf = () => parsed().filter((line) => line._aws !== undefined);
const metricNames = () =>
  emf().flatMap((line) => line._aws!.CloudWatchMetrics.flatMap((set) => set.Metrics.map((metric) => metric.Name)));

const context = (awsRequestId: string): Context =>
  ({
    awsRequestId,
    functionName: 'unit-fn',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws-cn:lambda:cn-north-1:000000000000:function:unit-fn',
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 10_000,
  }) as unknown as Context;

const event = (headers: Record<string, string> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'GET /things',
    rawPath: '/things',
    rawQueryString: '',
    headers,
    isBase64Encoded: false,
    requestContext: { requestId: 'gw-1', http: { method: 'GET', path: '/things', sourceIp: '203.0.113.9' } },
  }) as unknown as APIGatewayProxyEventV2;

const route = defineRoute({
  method: 'GET',
  path: '/things',
  operationId: 'listThings',
  summary: 'Things',
  tags: [],
  auth: 'none',
  responses: { 200: { description: 'the things' } },
});

describe('httpHandler with Powertools middlewares', () => {
  it('logs with the Lambda context and the request keys, and drops the keys when the invocation ends', async () => {
    const handler = httpHandler(route, async () => {
      logger.info('inside the handler', { phone: '13812345678' });
      return json(200, {});
    });
    await handler(event({ 'x-request-id': 'req-1' }), context('lambda-request-1'));
    expect(logLine('inside the handler')).toMatchObject({
      function_request_id: 'lambda-request-1',
      function_name: 'unit-fn',
      requestId: 'req-1',
      route: 'GET /things',
      phone: '138****5678',
    });
    logger.info('between invocations');
    expect(logLine('between invocations')).not.toHaveProperty('requestId');
    expect(logLine('between invocations')).not.toHaveProperty('route');
  });

  it('flushes the metrics an invocation added as one EMF line when it ends', async () => {
    const handler = httpHandler(route, async () => {
      metrics.addMetric('thingsListed', 'Count', 2);
      expect(emf()).toEqual([]);
      return json(200, {});
    });
    const response = (await handler(event(), context('lambda-request-2'))) as HttpResult;
    expect(response.statusCode).toBe(200);
    expect(metricNames()).toEqual(['thingsListed']);
    expect(emf()[0]).toMatchObject({ thingsListed: 2 });
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it('flushes the metrics of a refused request too', async () => {
    const handler = httpHandler(route, async () => {
      throw new ConflictError('already there');
    });
    const response = (await handler(event(), context('lambda-request-3'))) as HttpResult;
    expect(response.statusCode).toBe(409);
    expect(metricNames()).toEqual(['requestRefused']);
    expect(logLine('request refused')).toMatchObject({ function_request_id: 'lambda-request-3', requestId: 'gw-1' });
  });

  it('writes nothing about metrics when an invocation added none', async () => {
    await httpHandler(route, async () => json(200, {}))(event(), context('lambda-request-4'));
    expect(lines).toEqual([]);
  });
});

describe('observed handlers', () => {
  it('flush metrics and drop appended keys when the handler throws', async () => {
    const handler = observed(async () => {
      logger.appendKeys({ period: 'p-1' });
      metrics.addMetric('attempted', 'Count', 1);
      throw new Error('seal failed');
    });
    await expect(handler({}, context('lambda-request-5'))).rejects.toThrow('seal failed');
    expect(metricNames()).toEqual(['attempted']);
    logger.info('afterwards');
    expect(logLine('afterwards')).not.toHaveProperty('period');
  });

  it('flush the failed-record metric of an SQS batch', async () => {
    const batch = {
      Records: [
        { messageId: 'm-1', body: 'ok', eventSource: 'aws:sqs', attributes: {}, messageAttributes: {} },
        { messageId: 'm-2', body: 'bad', eventSource: 'aws:sqs', attributes: {}, messageAttributes: {} },
      ],
    } as unknown as SQSEvent;
    const handle = sqsBatchHandler(async (record) => {
      if (record.body === 'bad') throw new Error('cannot store');
    });
    const response = await handle(batch, context('lambda-request-6'));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }]);
    expect(metricNames()).toEqual(['recordFailed']);
    expect(logLine('record failed; SQS will retry it')).toMatchObject({ function_request_id: 'lambda-request-6' });
  });
});
