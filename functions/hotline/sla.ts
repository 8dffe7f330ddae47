import chineseDays from 'chinese-days';
import type { SlaKind } from './catalogue.ts';

/**
 * Deadlines on the working-day calendar of Asia/Shanghai: public holidays and the adjusted working
 * days (调休, a Saturday or Sunday worked in exchange) come from the `chinese-days` package.
 * Asia/Shanghai has had no daylight saving since 1991, so its days are UTC+8 exactly.
 */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

export interface SlaPolicy {
  /** Working days after the day of routing (urgent: 0, the end of the same day). */
  urgent: number;
  enquiry: number;
  complaint: number;
  /** Per category code, overrides its kind. */
  categories?: Record<string, number>;
}
export const DEFAULT_SLA: SlaPolicy = { urgent: 0, enquiry: 3, complaint: 13 };

/**
 * A ticket still RECEIVED this long after it was filed (or last queued) lost its routing message:
 * a 503 whose write landed after it, or a message that went to the DLQ. The sweeper queues it again.
 */
export const ROUTING_CHECK_MS = 2 * 60_000;
/** After this, a ticket that never got routed is left to an operator (an alarm), not queued again. */
export const ROUTING_GIVE_UP_MS = 24 * 3600_000;
export const routingCheckAfter = (at: Date) => new Date(at.getTime() + ROUTING_CHECK_MS).toISOString();

/** The Shanghai calendar day (YYYY-MM-DD) an instant falls on, and where that day starts (UTC ms). */
const shanghaiDay = (ms: number) => {
  const start = Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
  return { start, date: new Date(start + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10) };
};
const workingDay = (dayStart: number) =>
  chineseDays.isWorkday(new Date(dayStart + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10));

export function workingDaysFor(
  policy: SlaPolicy,
  category: string,
  kind: SlaKind,
  urgency: 'normal' | 'urgent',
): number {
  if (urgency === 'urgent') return policy.urgent;
  return policy.categories?.[category] ?? policy[kind];
}

/**
 * The deadline: the end (24:00 Shanghai) of the `days`-th working day after the day of `from`;
 * with 0 days the end of `from`'s own day (urgent: the same day, worked or not).
 */
export function dueAt(from: Date, days: number): Date {
  let { start } = shanghaiDay(from.getTime());
  for (let counted = 0; counted < days; ) {
    start += DAY_MS;
    if (workingDay(start)) counted++;
  }
  return new Date(start + DAY_MS);
}

/** Working time between two instants: the parts of them that fall on working days (ms). */
export function workingMsBetween(from: Date, to: Date): number {
  let total = 0;
  for (let { start } = shanghaiDay(from.getTime()); start < to.getTime(); start += DAY_MS) {
    if (!workingDay(start)) continue;
    total += Math.max(0, Math.min(to.getTime(), start + DAY_MS) - Math.max(from.getTime(), start));
  }
  return total;
}

/**
 * The instant at which `fraction` of the working time between `from` and `due` has passed (reminders
 * at 50% and 75%). When the window holds no working time at all (urgent on a holiday), wall-clock time.
 */
export function pointInWindow(from: Date, due: Date, fraction: number): Date {
  const total = workingMsBetween(from, due);
  if (total === 0) return new Date(from.getTime() + (due.getTime() - from.getTime()) * fraction);
  let left = total * fraction;
  for (let { start } = shanghaiDay(from.getTime()); start < due.getTime(); start += DAY_MS) {
    if (!workingDay(start)) continue;
    const begin = Math.max(from.getTime(), start);
    const span = Math.min(due.getTime(), start + DAY_MS) - begin;
    if (span >= left) return new Date(begin + left);
    left -= span;
  }
  return due;
}

/** The SLA timers of a ticket: reminders at 50% and 75% of its working time, breach at the due time. */
export interface SlaTimers {
  dueAt: string;
  remindAt50: string;
  remindAt75: string;
}
export function timersFor(from: Date, due: Date): SlaTimers {
  return {
    dueAt: due.toISOString(),
    remindAt50: pointInWindow(from, due, 0.5).toISOString(),
    remindAt75: pointInWindow(from, due, 0.75).toISOString(),
  };
}

export type SlaState = 'on_time' | 'reminded' | 'breached';
export const SLA_STATES: readonly SlaState[] = ['on_time', 'reminded', 'breached'];

export const slaStateOf = (ticket: { breachedAt?: string; reminded50At?: string; reminded75At?: string }): SlaState =>
  ticket.breachedAt ? 'breached' : ticket.reminded50At || ticket.reminded75At ? 'reminded' : 'on_time';

/** The next SLA timer still to fire, while a department owes an answer; undefined otherwise. */
export function nextTimer(ticket: {
  status: string;
  remindAt50?: string;
  remindAt75?: string;
  slaDueAt?: string;
  reminded50At?: string;
  reminded75At?: string;
  breachedAt?: string;
}): string | undefined {
  if (!['ROUTED', 'TRIAGE', 'ACCEPTED', 'REOPENED'].includes(ticket.status)) return undefined;
  const pending = [
    ticket.reminded50At ? undefined : ticket.remindAt50,
    ticket.reminded75At ? undefined : ticket.remindAt75,
    ticket.breachedAt ? undefined : ticket.slaDueAt,
  ].filter((at): at is string => !!at);
  return pending.sort()[0];
}
