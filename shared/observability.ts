import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { maskingReplacer } from './personal-data.ts';

/**
 * One Powertools setup for every function. The service name comes from
 * POWERTOOLS_SERVICE_NAME, which the Lambda construct sets per function.
 * Every log line passes through the masking replacer, so a whole ID number or phone
 * cannot reach CloudWatch even when someone logs a whole record by mistake.
 */
export const logger = new Logger({ jsonReplacerFn: maskingReplacer });

/** Most invocations add no metric; Powertools warns on each such flush unless its logger says otherwise. */
const EMPTY_FLUSH_WARNING = 'No application metrics to publish';

/** Metrics' own warnings (a bad dimension, say) go through the masking logger; the empty-flush one is dropped. */
const metricsLogger = {
  debug: (message: string) => logger.debug(message),
  info: (message: string) => logger.info(message),
  warn: (message: string) => {
    if (!message.startsWith(EMPTY_FLUSH_WARNING)) logger.warn(message);
  },
  error: (message: string) => logger.error(message),
};

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'dgov',
  logger: metricsLogger,
});

/**
 * X-Ray tracing (the functions run with active tracing). Powertools turns it off outside Lambda
 * (no AWS_EXECUTION_ENV) and when POWERTOOLS_TRACE_ENABLED=false, which the local runtime sets:
 * there is no X-Ray daemon there. Off, the middleware and captureAWSv3Client do nothing.
 */
export const tracer = new Tracer();

/**
 * Wraps a Lambda handler the way Powertools means it to be used: a subsegment for the handler
 * (without the response as metadata: it may carry personal data or tokens), the logger carries
 * the invocation's context (function_request_id, cold_start, …) and drops keys appended during
 * it, and metrics added during it are flushed as EMF when it ends, whether it returned or threw.
 * Lambda's own timeout stays in charge: middy's early timeout would return while the handler's
 * work goes on in a frozen sandbox.
 */
export function observed<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy<E, R>(handler, { timeoutEarlyInMillis: 0 })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/** Marks the handler's subsegment the way X-Ray reads HTTP statuses: 5xx fault, 429 throttle, 4xx error. */
export function traceStatus(statusCode: number): void {
  if (statusCode < 400 || !tracer.isTracingEnabled()) return;
  const segment = tracer.getSegment();
  if (statusCode >= 500) segment?.addFaultFlag();
  else if (statusCode === 429) segment?.addThrottleFlag();
  else segment?.addErrorFlag();
}
