import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
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
 * Wraps a Lambda handler the way Powertools means it to be used: the logger carries the
 * invocation's context (function_request_id, cold_start, …) and drops keys appended during
 * it, and metrics added during it are flushed as EMF when it ends, whether it returned or threw.
 * Lambda's own timeout stays in charge: middy's early timeout would return while the handler's
 * work goes on in a frozen sandbox.
 */
export function observed<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy<E, R>(handler, { timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
