import { describe, expect, it } from 'vitest';
import { rateToMs } from '../../local/event-sources.ts';

describe('rateToMs', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(15 minutes)', 900_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(5 hours)', 18_000_000],
    ['rate(1 day)', 86_400_000],
    ['rate(7 days)', 604_800_000],
    ['  rate(2 minutes)  ', 120_000],
  ])('%s → %i ms', (expression, ms) => {
    expect(rateToMs(expression)).toBe(ms);
  });

  it.each([
    'cron(0 12 * * ? *)',
    'rate(5 seconds)',
    'rate(minutes)',
    'rate(-1 minutes)',
    'rate(1.5 hours)',
    'every 5 minutes',
    '',
  ])('gives undefined for %j', (expression) => {
    expect(rateToMs(expression)).toBeUndefined();
  });
});
