import { vi } from 'vitest';
import { logger, metrics } from '../../../shared/observability.ts';
import { REGISTERED_ORIGIN } from './arbitraries.ts';

/**
 * What the fuzzed functions reach besides their own stores, in memory: the audit queue, the
 * control table's token deny-list and registered origins. A fuzz file mocks the modules with these:
 *
 *   vi.mock(import('../../../shared/audit.ts'), async (original) => ({ ...(await original()), sqsAuditSender: () => fakes.sendAudit }));
 *   vi.mock(import('../../../shared/auth/deny-list.ts'), () => ({ controlTableDenyList: () => fakes.isRevoked }));
 *   vi.mock(import('../../../shared/cors-origins.ts'), async (original) => ({ ...(await original()), controlTableOrigins: () => fakes.isRegisteredOrigin }));
 */
export const REVOKED_JTI = 'jti-revoked';

export const fakes = {
  /** Audit event bodies as sent to the queue. */
  audited: [] as string[],
  sendAudit: async (body: string, _eventId: string) => {
    fakes.audited.push(body);
  },
  isRevoked: async (jti: string) => jti === REVOKED_JTI,
  isRegisteredOrigin: async (origin: string) => origin === REGISTERED_ORIGIN,
};

/** Refusals log at info and failures at error: thousands of runs would flood the output. */
export function quietObservability() {
  for (const level of ['debug', 'info', 'warn', 'error'] as const)
    vi.spyOn(logger, level).mockImplementation(() => undefined);
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    metrics.clearMetrics();
    return metrics;
  });
}

/** The environment every HTTP function reads. */
export const COMMON_ENV = {
  AWS_REGION: 'cn-north-1',
  DGOV_CONTROL_TABLE: 'control',
  DGOV_AUDIT_QUEUE_URL: 'http://127.0.0.1:1/000000000000/audit',
  DGOV_AUDIT_BUCKET: 'audit',
  DGOV_VERSION: 'fuzz',
};
