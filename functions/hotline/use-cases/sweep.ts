import type { Ticket } from '../model.ts';
import { logger } from '../../../shared/observability.ts';
import type { HotlinePorts, RoutingQueue, TimerMark } from '../ports.ts';
import { nextTimer, ROUTING_GIVE_UP_MS, routingCheckAfter } from '../sla.ts';

const TIMERS: { mark: TimerMark; at: keyof Ticket; action: string }[] = [
  { mark: 'reminded50At', at: 'remindAt50', action: 'remind-50' },
  { mark: 'reminded75At', at: 'remindAt75', action: 'remind-75' },
  { mark: 'breachedAt', at: 'slaDueAt', action: 'breach' },
];

export interface SweepResult {
  reminded: number;
  breached: number;
  /** RECEIVED tickets whose routing message was lost, queued again. */
  requeued: number;
}

/**
 * A ticket still RECEIVED at its timer is queued for routing again (routing is idempotent, so a
 * message that was only late does no harm) and checked again later; after a day it is left to an
 * operator, counted as `ticketUnrouted` and as a breach (`slaBreached`, which has an alarm).
 */
async function requeue(ticket: Ticket, ports: HotlinePorts & { queue: RoutingQueue }, now: Date): Promise<boolean> {
  if (now.getTime() - Date.parse(ticket.createdAt) > ROUTING_GIVE_UP_MS) {
    logger.error('ticket never routed; left to an operator', { ticketId: ticket.ticketId });
    ports.countMetric?.('ticketUnrouted');
    ports.countMetric?.('slaBreached'); // the alarm on breached deadlines: routing within a day is one
    // Only while still RECEIVED: a ticket routed since the read keeps the SLA timer its router set.
    await ports.tickets.setNextTimer(ticket.ticketId, undefined, ticket);
    return false;
  }
  try {
    await ports.queue.send(ticket.ticketId);
  } catch (error) {
    // The ticket stays due, for the next sweep; the other timers of this sweep still fire.
    logger.warn('routing queue unavailable; ticket queued again next sweep', {
      ticketId: ticket.ticketId,
      error: (error as Error).message,
    });
    return false;
  }
  // The router may consume the message before this write: a routed ticket keeps its SLA timer.
  await ports.tickets.setNextTimer(ticket.ticketId, routingCheckAfter(now), ticket);
  ports.countMetric?.('ticketRequeued');
  return true;
}

/**
 * The SLA sweeper (a rate schedule), which also queues again a ticket whose routing message was lost: every timer that is due is marked by one conditional write, so
 * each reminder and each breach happens exactly once even when two sweeps overlap or one is retried;
 * the audit event's id is derived from the ticket and the timer, so a retried sweep adds no second one.
 * A breach escalates the ticket to the supervisor's queue and counts `slaBreached` (which has an alarm).
 */
export async function sweepTimers(ports: HotlinePorts & { queue: RoutingQueue }, limit = 200): Promise<SweepResult> {
  const now = ports.now();
  const result: SweepResult = { reminded: 0, breached: 0, requeued: 0 };
  for (const listed of await ports.tickets.dueTimers(now, limit)) {
    // The index lags the table: a ticket removed since (intake's rollback) is not queued or reminded.
    const ticket = await ports.tickets.get(listed.ticketId);
    if (!ticket) continue;
    if (ticket.status === 'RECEIVED') {
      if (await requeue(ticket, ports, now)) result.requeued++;
      continue;
    }
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
    // Listed, so its stored timer is due: if its next timer is none (fired, or the ticket closed
    // meanwhile) or still ahead (a timer a race left behind), the index is put right, else every
    // sweep would list it again, before the tickets that are due.
    const fresh = await ports.tickets.get(ticket.ticketId);
    const next = fresh && nextTimer(fresh);
    if (fresh && (!next || next > now.toISOString())) await ports.tickets.setNextTimer(ticket.ticketId, next, fresh);
  }
  return result;
}
