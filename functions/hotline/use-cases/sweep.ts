import type { Ticket } from '../model.ts';
import type { HotlinePorts, TimerMark } from '../ports.ts';
import { nextTimer } from '../sla.ts';

const TIMERS: { mark: TimerMark; at: keyof Ticket; action: string }[] = [
  { mark: 'reminded50At', at: 'remindAt50', action: 'remind-50' },
  { mark: 'reminded75At', at: 'remindAt75', action: 'remind-75' },
  { mark: 'breachedAt', at: 'slaDueAt', action: 'breach' },
];

export interface SweepResult {
  reminded: number;
  breached: number;
}

/**
 * The SLA sweeper (a rate schedule): every timer that is due is marked by one conditional write, so
 * each reminder and each breach happens exactly once even when two sweeps overlap or one is retried;
 * the audit event's id is derived from the ticket and the timer, so a retried sweep adds no second one.
 * A breach escalates the ticket to the supervisor's queue and counts `slaBreached` (which has an alarm).
 */
export async function sweepTimers(ports: HotlinePorts, limit = 200): Promise<SweepResult> {
  const now = ports.now();
  const result: SweepResult = { reminded: 0, breached: 0 };
  for (const listed of await ports.tickets.dueTimers(now, limit)) {
    const ticket = (await ports.tickets.get(listed.ticketId)) ?? listed;
    let state: Ticket = { ...ticket };
    for (const timer of TIMERS) {
      const at = state[timer.at] as string | undefined;
      if (state[timer.mark] || !at || at > now.toISOString() || !nextTimer(state)) continue;
      const marked = {
        ...state,
        [timer.mark]: now.toISOString(),
        ...(timer.mark === 'breachedAt' ? { escalated: true } : {}),
      };
      await ports.audit({
        eventId: `hotline-${timer.action}-${ticket.ticketId}`,
        actor: { kind: 'system', id: 'hotline-sweeper' },
        action: `hotline.sla.${timer.action}`,
        resource: `ticket/${ticket.ticketId}`,
        outcome: 'success',
        requestId: `${timer.action}-${ticket.ticketId}`,
      });
      const written = await ports.tickets.markTimer(
        ticket.ticketId,
        timer.mark,
        {
          [timer.mark]: now.toISOString(),
          ...(timer.mark === 'breachedAt' ? { escalated: true } : {}),
          nextTimerAt: nextTimer(marked) ?? null,
        },
        {
          at: now.toISOString(),
          action: timer.action,
          by: 'hotline-sweeper',
          status: state.status,
          ...(timer.mark === 'breachedAt' ? { note: 'escalated to dept-supervisor' } : {}),
        },
      );
      state = marked;
      if (!written) continue;
      if (timer.mark === 'breachedAt') {
        result.breached++;
        ports.countMetric?.('slaBreached');
      } else {
        result.reminded++;
        ports.countMetric?.('slaReminded');
      }
    }
    // A timer listed but already fired (or a ticket closed meanwhile) must leave the index.
    const fresh = await ports.tickets.get(ticket.ticketId);
    if (fresh && !nextTimer(fresh)) await ports.tickets.setNextTimer(ticket.ticketId, undefined);
  }
  return result;
}
