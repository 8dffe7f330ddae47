import { categoryOf } from '../catalogue.ts';
import { isOpen, type Ticket } from '../model.ts';
import type { HotlinePorts } from '../ports.ts';
import type { RuleIndex } from '../rules.ts';
import { dueAt, nextTimer, type SlaPolicy, timersFor, workingDaysFor } from '../sla.ts';

/** A message the router can never handle: it goes to the DLQ at once, with this reason. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

export type RoutingOutcome = 'routed' | 'triage' | 'duplicate' | 'already-routed';

/**
 * Routes one ticket: duplicates (same phone, category and division within 24 h of an open ticket) are
 * linked to it; others get their lead department from the rules and their SLA timers. Safe to run
 * twice for the same ticket (SQS delivers at least once): only a RECEIVED ticket is routed, by a
 * write conditional on its version, and its audit event has an id derived from the ticket.
 */
export async function routeTicket(
  ticketId: string,
  ports: HotlinePorts & { rules: RuleIndex; sla: SlaPolicy },
): Promise<RoutingOutcome> {
  const ticket = await ports.tickets.get(ticketId);
  if (!ticket) throw new PoisonMessageError(`no ticket ${ticketId}`);
  if (ticket.status !== 'RECEIVED') return 'already-routed';
  const now = ports.now();
  const at = now.toISOString();
  const system = { kind: 'system' as const, id: 'hotline-router' };

  const division = ticket.location.districtCode ?? ticket.location.cityCode;
  const key = `${ticket.contact.phone}|${ticket.category}|${division}`;
  let holder = await ports.tickets.claimDuplicateKey(key, ticket.ticketId, now);
  if (holder !== ticket.ticketId) {
    const original = await ports.tickets.get(holder);
    if (original && isOpen(original.status)) {
      await ports.audit({
        eventId: `hotline-route-${ticket.ticketId}`,
        actor: system,
        action: 'hotline.ticket.duplicate',
        resource: `ticket/${ticket.ticketId}`,
        outcome: 'success',
        requestId: ticket.ticketId,
      });
      const entry = {
        at,
        action: 'link',
        by: 'hotline-router',
        status: original.status,
        note: `duplicate report ${ticket.ticketId}`,
      };
      await ports.tickets.linkDuplicate(original.ticketId, ticket.ticketId, entry);
      const linked = await ports.tickets.transition(
        ticket.ticketId,
        ticket.version,
        { status: 'DUPLICATE', duplicateOf: original.ticketId },
        { at, action: 'link', by: 'hotline-router', status: 'DUPLICATE', note: `duplicate of ${original.ticketId}` },
      );
      if (!linked) return 'already-routed'; // another delivery of its message linked it first
      ports.countMetric?.('ticketLinked');
      return 'duplicate';
    }
    holder = await ports.tickets.claimDuplicateKey(key, ticket.ticketId, now, holder);
  }

  const decision = ports.rules.decide(ticket.category, ticket.location.cityCode, ticket.location.districtCode);
  const triage = decision.ruleId === undefined;
  const days = workingDaysFor(
    ports.sla,
    ticket.category,
    categoryOf(ticket.category)?.kind ?? 'complaint',
    ticket.urgency,
  );
  const timers = timersFor(now, dueAt(now, days));
  const status = triage ? ('TRIAGE' as const) : ('ROUTED' as const);
  const changes: Partial<Ticket> = {
    status,
    department: decision.lead,
    assisting: decision.assist,
    ...(decision.ruleId ? { ruleId: decision.ruleId } : {}),
    slaStartAt: at,
    slaDueAt: timers.dueAt,
    remindAt50: timers.remindAt50,
    remindAt75: timers.remindAt75,
  };
  await ports.audit({
    eventId: `hotline-route-${ticket.ticketId}`,
    actor: system,
    action: triage ? 'hotline.ticket.triage' : 'hotline.ticket.route',
    resource: `ticket/${ticket.ticketId}`,
    outcome: 'success',
    requestId: ticket.ticketId,
  });
  const written = await ports.tickets.transition(
    ticket.ticketId,
    ticket.version,
    { ...changes, nextTimerAt: nextTimer({ ...ticket, ...changes }) ?? null },
    {
      at,
      action: 'route',
      by: 'hotline-router',
      status,
      department: decision.lead,
      note: decision.ruleId ? `rule ${decision.ruleId}` : 'no rule matched',
    },
  );
  if (!written) return 'already-routed';
  ports.countMetric?.(triage ? 'ticketTriaged' : 'ticketRouted');
  return triage ? 'triage' : 'routed';
}
