import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { maskingReplacer } from './personal-data.ts';

/**
 * One Powertools setup for every function. The service name comes from
 * POWERTOOLS_SERVICE_NAME, which the Lambda construct sets per function.
 * Every log line passes through the masking replacer, so a whole ID number or phone
 * cannot reach CloudWatch even when someone logs a whole record by mistake.
 */
export const logger = new Logger({ jsonReplacerFn: maskingReplacer });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'dgov' });

/** Emits buffered metrics (EMF on stdout) at the end of an invocation; silent when there are none. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
