import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../shared/observability.ts';
import { identityEvent, identityHandler, identityStore, lambdaContext } from '../../support/identity-in-process.ts';

vi.mock(import('../../../functions/identity/store.ts'), () => ({ dynamoIdentityStore: () => identityStore }));
// The audit queue cannot be reached: every send fails as the SQS client would.
vi.mock(import('../../../shared/audit.ts'), async (original) => ({
  ...(await original()),
  sqsAuditSender: () => async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  },
}));

beforeEach(() => {
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  vi.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('registration while the audit queue is down', () => {
  it('answers 503 with Retry-After and creates no account: a change whose audit event cannot be kept is not made', async () => {
    const handler = await identityHandler();
    const account = {
      type: 'citizen',
      idNumber: '11010519491231002X',
      name: '张三',
      phone: '13812345678',
      password: 'correct horse battery staple',
    };
    const response = await handler(
      identityEvent({
        method: 'POST',
        path: '/identity/accounts',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(account),
      }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(await identityStore.accountByIdentifier(account.idNumber)).toBeUndefined();
  });
});
