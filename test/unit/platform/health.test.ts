import { afterEach, describe, expect, it, vi } from 'vitest';
import { healthSchema } from '../../../functions/health/contract.ts';
import { checkHealth, type Probe, type Probes } from '../../../functions/health/domain.ts';

const INFO = { region: 'cn-north-1', version: '1.2.3' };
const up: Probe = async () => undefined;
const failing: Probe = async () => {
  throw new Error('ResourceNotFoundException');
};
const silent: Probe = () => new Promise<void>(() => undefined);

const probes = (overrides: Partial<Probes> = {}): Probes => ({ dynamodb: up, sqs: up, s3: up, ...overrides });

afterEach(() => {
  vi.useRealTimers();
});

describe('checkHealth', () => {
  it('is ok when every probe answers', async () => {
    const health = await checkHealth(probes(), INFO);
    expect(health).toEqual({
      status: 'ok',
      region: 'cn-north-1',
      version: '1.2.3',
      dependencies: { dynamodb: 'ok', sqs: 'ok', s3: 'ok' },
    });
    expect(healthSchema.safeParse(health).success).toBe(true);
  });

  it('marks a dependency whose probe rejects as down and names it', async () => {
    const health = await checkHealth(probes({ sqs: failing }), INFO);
    expect(health.status).toBe('unavailable');
    expect(health.dependencies).toEqual({ dynamodb: 'ok', sqs: 'down', s3: 'ok' });
    expect(health.detail).toBe('sqs is down');
    expect(healthSchema.safeParse(health).success).toBe(true);
  });

  it('names every dependency that is down', async () => {
    const health = await checkHealth(probes({ dynamodb: failing, s3: failing }), INFO);
    expect(health.dependencies).toEqual({ dynamodb: 'down', sqs: 'ok', s3: 'down' });
    expect(health.detail).toContain('dynamodb');
    expect(health.detail).toContain('s3');
    expect(health.detail).not.toContain('sqs');
  });

  it('marks a probe that never answers as down after the timeout it is given', async () => {
    const health = await checkHealth(probes({ s3: silent }), INFO, 50);
    expect(health.status).toBe('unavailable');
    expect(health.dependencies).toEqual({ dynamodb: 'ok', sqs: 'ok', s3: 'down' });
    expect(health.detail).toContain('s3');
  });

  it('waits for a slow probe up to the timeout, not beyond', async () => {
    vi.useFakeTimers();
    const answersAfter =
      (ms: number): Probe =>
      () =>
        new Promise<void>((resolve) => setTimeout(resolve, ms));
    const pending = checkHealth(probes({ dynamodb: answersAfter(40), sqs: answersAfter(60), s3: silent }), INFO, 50);
    await vi.advanceTimersByTimeAsync(100);
    const health = await pending;
    expect(health.dependencies).toEqual({ dynamodb: 'ok', sqs: 'down', s3: 'down' });
  });

  it('runs every probe at once', async () => {
    vi.useFakeTimers();
    const started: string[] = [];
    const tracked =
      (name: string): Probe =>
      () => {
        started.push(name);
        return new Promise<void>((resolve) => setTimeout(resolve, 10));
      };
    const pending = checkHealth({ dynamodb: tracked('dynamodb'), sqs: tracked('sqs'), s3: tracked('s3') }, INFO, 50);
    // Before any probe has finished, all three have started.
    expect(started.sort()).toEqual(['dynamodb', 's3', 'sqs']);
    await vi.advanceTimersByTimeAsync(10);
    expect((await pending).status).toBe('ok');
  });
});
