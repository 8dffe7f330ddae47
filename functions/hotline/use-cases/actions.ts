import { randomUUID } from 'node:crypto';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../../../shared/errors.ts';
import type { Actor, Ticket } from '../model.ts';
import type { HotlinePorts } from '../ports.ts';
import { nextTimer } from '../sla.ts';
import { transition, type TicketAction } from '../workflow.ts';
import { auditActor, type RequestContext } from './context.ts';

/**
 * One action on a ticket: the state machine decides (workflow.ts), one write conditional on the
 * version read applies it. Of two departments' sandboxes accepting at once, one write succeeds and
 * the other answers 409. Refusals (403) are audited as denials.
 */
export async function actOnTicket(
  ticketId: string,
  action: TicketAction,
  actor: Actor,
  ports: HotlinePorts,
  context: RequestContext,
): Promise<Ticket> {
  const ticket = await ports.tickets.get(ticketId);
  if (!ticket) throw new NotFoundError(`no ticket ${ticketId}`);
  const event = {
    actor: auditActor(actor),
    action: `hotline.ticket.${action.action}`,
    resource: `ticket/${ticketId}`,
    ...context,
  };
  let step: ReturnType<typeof transition>;
  try {
    step = transition(ticket, action, actor, ports.now());
  } catch (error) {
    if (error instanceof ForbiddenError) await ports.audit({ ...event, outcome: 'denied' });
    throw error;
  }
  const after = { ...ticket, ...step.set, status: step.status };
  await ports.audit({ ...event, outcome: 'success' });
  // Each entry has an id of its own, so a retried write can tell its own landing from a rival's.
  const entry = { ...step.entry, id: randomUUID() };
  const written = await ports.tickets.transition(
    ticketId,
    ticket.version,
    { ...step.set, status: step.status, nextTimerAt: nextTimer(after) ?? null },
    entry,
  );
  // A retried write whose first attempt landed fails its own condition: the history tells.
  const landed = async () => {
    const now = await ports.tickets.get(ticketId);
    const last = now?.history.at(-1);
    return now?.version === ticket.version + 1 && last?.id === entry.id;
  };
  if (!written && !(await landed())) {
    // Another sandbox changed the ticket since it was read: this action did not happen.
    await ports.audit({ ...event, outcome: 'failure' }).catch(() => undefined);
    throw new ConflictError('the ticket changed meanwhile; read it again');
  }
  ports.countMetric?.(`ticket${action.action[0]!.toUpperCase()}${action.action.slice(1)}`);
  return { ...after, version: ticket.version + 1, history: [...ticket.history, entry] };
}

/** Who may read a ticket, and whether they see the phone whole. */
export function readAccess(ticket: Ticket, actor: Actor): { reveal: boolean } {
  const department = actor.kind === 'client' ? actor.department : undefined;
  const filer = ticket.filer.kind === actor.kind && ticket.filer.id === actor.id;
  if (filer || (department && department === ticket.department)) return { reveal: true };
  // Assisting departments and the supervisor of an escalated ticket read it with the phone masked.
  if (department && (ticket.assisting?.includes(department) || (ticket.escalated && department === 'dept-supervisor')))
    return { reveal: false };
  throw new ForbiddenError('only the filer and the departments handling a ticket may read it');
}

export async function readTicket(ticketId: string, actor: Actor, ports: HotlinePorts, context: RequestContext) {
  const ticket = await ports.tickets.get(ticketId);
  if (!ticket) throw new NotFoundError(`no ticket ${ticketId}`);
  try {
    return { ticket, ...readAccess(ticket, actor) };
  } catch (error) {
    if (error instanceof DomainError)
      await ports.audit({
        actor: auditActor(actor),
        action: 'hotline.ticket.read',
        resource: `ticket/${ticketId}`,
        outcome: 'denied',
        ...context,
      });
    throw error;
  }
}
