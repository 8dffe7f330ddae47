import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SLA,
  dueAt,
  nextTimer,
  pointInWindow,
  timersFor,
  workingDaysFor,
  workingMsBetween,
} from '../../../functions/hotline/sla.ts';

// National Day 2025: 1–8 October are holidays; Sunday 28 September and Saturday 11 October are worked (调休).
const shanghai = (local: string) => new Date(`${local}+08:00`);

describe('SLA deadlines on the Asia/Shanghai working-day calendar', () => {
  it('counts an enquiry’s 3 working days across the holiday and onto the adjusted Saturday', () => {
    // Tue 30 Sep → Thu 9, Fri 10, Sat 11 (worked) October: due at the end of Saturday 11 October.
    expect(dueAt(shanghai('2025-09-30T10:00:00'), 3).toISOString()).toBe(shanghai('2025-10-12T00:00:00').toISOString());
  });

  it('counts the adjusted Sunday before the holiday as a working day', () => {
    // Filed Saturday 27 Sep: Sun 28 (worked), Mon 29, Tue 30.
    expect(dueAt(shanghai('2025-09-27T09:00:00'), 3).toISOString()).toBe(shanghai('2025-10-01T00:00:00').toISOString());
  });

  it('urgent means the end of the same day, a holiday too', () => {
    const filed = shanghai('2025-10-03T10:00:00');
    expect(workingDaysFor(DEFAULT_SLA, 'market.food', 'complaint', 'urgent')).toBe(0);
    expect(dueAt(filed, 0).toISOString()).toBe(shanghai('2025-10-04T00:00:00').toISOString());
    // No working time in the window: the reminders fall at wall-clock fractions of it.
    expect(pointInWindow(filed, dueAt(filed, 0), 0.5).toISOString()).toBe(
      shanghai('2025-10-03T17:00:00').toISOString(),
    );
  });

  it('a complaint gets 13 working days; categories can be configured apart', () => {
    expect(workingDaysFor(DEFAULT_SLA, 'market.food', 'complaint', 'normal')).toBe(13);
    expect(workingDaysFor(DEFAULT_SLA, 'policy.enquiry', 'enquiry', 'normal')).toBe(3);
    expect(
      workingDaysFor({ ...DEFAULT_SLA, categories: { 'market.food': 5 } }, 'market.food', 'complaint', 'normal'),
    ).toBe(5);
    // Mon 22 Sep 2025 + 13 working days: 23–30 Sep (7 incl. Sun 28), 9–11 Oct (3), 13–15 Oct (3) → Wed 15 Oct.
    expect(dueAt(shanghai('2025-09-22T09:00:00'), 13).toISOString()).toBe(
      shanghai('2025-10-16T00:00:00').toISOString(),
    );
  });

  it('puts the 50% and 75% reminders at fractions of the working time, skipping the holiday', () => {
    const filed = shanghai('2025-09-30T10:00:00');
    const due = dueAt(filed, 3);
    // Working time: 14 h of 30 Sep + three whole days (9, 10, 11 Oct) = 86 h.
    expect(workingMsBetween(filed, due)).toBe(86 * 3600_000);
    const timers = timersFor(filed, due);
    expect(timers.remindAt50).toBe(shanghai('2025-10-10T05:00:00').toISOString()); // 43 h
    expect(timers.remindAt75).toBe(shanghai('2025-10-11T02:30:00').toISOString()); // 64.5 h
  });

  it('the next timer is the earliest not yet fired, while a department owes an answer', () => {
    const ticket = { status: 'ROUTED', remindAt50: 'a', remindAt75: 'b', slaDueAt: 'c' };
    expect(nextTimer(ticket)).toBe('a');
    expect(nextTimer({ ...ticket, reminded50At: 'x' })).toBe('b');
    expect(nextTimer({ ...ticket, reminded50At: 'x', reminded75At: 'y' })).toBe('c');
    expect(nextTimer({ ...ticket, reminded50At: 'x', reminded75At: 'y', breachedAt: 'z' })).toBeUndefined();
    expect(nextTimer({ ...ticket, status: 'RESOLVED' })).toBeUndefined();
  });
});

describe('the SLA configuration (DGOV_HOTLINE_SLA, from the CDK context hotlineSla)', () => {
  it('is read when valid and refused at cold start when not', async () => {
    const { routerConfigSchema, slaPolicyOf } = await import('../../../functions/hotline/config.ts');
    const env = {
      DGOV_HOTLINE_TABLE: 't',
      DGOV_HOTLINE_DEAD_LETTER_QUEUE_URL: 'https://q/x',
      DGOV_AUDIT_QUEUE_URL: 'https://q/a',
    };
    const policy = '{"urgent":0,"enquiry":2,"complaint":10,"categories":{"market.food":5}}';
    expect(routerConfigSchema.safeParse({ ...env, DGOV_HOTLINE_SLA: policy }).success).toBe(true);
    expect(slaPolicyOf(policy)).toMatchObject({ enquiry: 2, categories: { 'market.food': 5 } });
    expect(slaPolicyOf(undefined)).toEqual(DEFAULT_SLA);
    for (const bad of ['{"urgent":0}', 'not json', '{"urgent":-1,"enquiry":3,"complaint":13}'])
      expect(routerConfigSchema.safeParse({ ...env, DGOV_HOTLINE_SLA: bad }).success).toBe(false);
  });
});
