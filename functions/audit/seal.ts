import { documents } from '../../shared/aws/dynamodb.ts';
import { s3 } from '../../shared/aws/s3.ts';
import { ENV, loadConfig } from '../../shared/config.ts';
import { signerFor } from '../../shared/crypto/kms-signer.ts';
import { logger, metrics, observed } from '../../shared/observability.ts';
import { sealConfigSchema } from './config.ts';
import { AuditChainError, sealPeriod } from './domain.ts';
import { sealPorts, withSealLock } from './store.ts';

const config = loadConfig(sealConfigSchema);
const names = {
  s3,
  documents,
  bucket: config[ENV.auditBucket],
  table: config[ENV.controlTable],
  region: config.region,
};
const ports = sealPorts(names, signerFor(config[ENV.auditKey]));

/**
 * Fired by the schedule at the end of each period (and by `dgov audit seal`). A chain it cannot
 * extend fails the invocation (the function's Errors alarm) and counts auditSealFailed.
 */
export const handler = observed(async (): Promise<{ key: string; objects: number }> => {
  try {
    const { key, digest } = await withSealLock(names, () => sealPeriod(config.region, new Date(), ports));
    logger.info('period sealed', { key, sequence: digest.sequence, objects: digest.objects.length });
    metrics.addMetric('auditPeriodSealed', 'Count', 1);
    return { key, objects: digest.objects.length };
  } catch (error) {
    metrics.addMetric('auditSealFailed', 'Count', 1);
    if (error instanceof AuditChainError) logger.error('the audit chain cannot be extended', { key: error.key, error });
    throw error;
  }
});
