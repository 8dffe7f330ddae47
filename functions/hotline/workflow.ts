import { ConflictError, ForbiddenError, ValidationError } from '../../shared/errors.ts';
import { isDepartment, SUPERVISOR_DEPARTMENT } from './catalogue.ts';
import type { Actor, HistoryEntry, Ticket, TicketStatus } from './model.ts';
import { dueAt, timersFor } from './sla.ts';

/** The department and citizen actions of POST /tickets/{ticketId}/actions. */
export type TicketAction =
  | { action: 'accept' }
  | { action: 'transfer'; department: string; reason: string }
  | { action: 'extend'; days: number; reason: string }
  | { action: 'resolve'; reply: string }
  | { action: 'close'; rating: number; comment?: string }
  | { action: 'reopen'; reason: string };

export const MAX_TRANSFERS = 3;
export const REOPEN_DAYS = 7;

/** What a transition changes: the new status and attributes, and the history entry to append. */
export interface Transition {
  status: TicketStatus;
  set: Partial<Ticket>;
  entry: HistoryEntry;
}

const FROM: Record<TicketAction['action'], readonly TicketStatus[]> = {
  accept: ['ROUTED', 'REOPENED'],
  transfer: ['ROUTED', 'TRIAGE', 'ACCEPTED', 'REOPENED'],
  extend: ['ACCEPTED'],
  resolve: ['ACCEPTED'],
  close: ['RESOLVED'],
  reopen: ['RESOLVED'],
};
const BY_FILER = new Set(['close', 'reopen']);

export const isFiler = (ticket: Ticket, actor: Actor) =>
  ticket.filer.kind === actor.kind && ticket.filer.id === actor.id;
export const departmentOf = (actor: Actor) => (actor.kind === 'client' ? actor.department : undefined);

/**
 * The state machine of docs/hotline.md. Whose turn it is is checked before whether the move is legal:
 * another department's ticket is a 403 whatever its state; a move the state does not allow is a 409.
 */
export function transition(ticket: Ticket, action: TicketAction, actor: Actor, now: Date): Transition {
  if (BY_FILER.has(action.action)) {
    if (!isFiler(ticket, actor)) throw new ForbiddenError('only the filer closes or reopens a ticket');
  } else if (!departmentOf(actor) || departmentOf(actor) !== ticket.department) {
    throw new ForbiddenError('only the department responsible for this ticket acts on it');
  }
  if (!FROM[action.action].includes(ticket.status))
    throw new ConflictError(`a ${ticket.status} ticket cannot be given the action ${action.action}`);
  const at = now.toISOString();
  const by = actor.clientId;
  switch (action.action) {
    case 'accept':
      return { status: 'ACCEPTED', set: {}, entry: { at, by, action: 'accept', status: 'ACCEPTED' } };
    case 'transfer': {
      if (!isDepartment(action.department)) throw new ValidationError(`unknown department ${action.department}`);
      if (action.department === ticket.department)
        throw new ConflictError('the ticket is with that department already');
      const transfers = ticket.transfers + 1;
      // 一次办结: a ticket passed on three times goes to the supervisor rather than around again.
      const toSupervisor = transfers >= MAX_TRANSFERS;
      const department = toSupervisor ? SUPERVISOR_DEPARTMENT : action.department;
      const set: Partial<Ticket> = { department, transfers, ...(toSupervisor ? { escalated: true } : {}) };
      const note = toSupervisor
        ? `transfer ${transfers} of ${MAX_TRANSFERS}: to the supervisor, not ${action.department}`
        : undefined;
      const entry = {
        at,
        by,
        action: 'transfer',
        status: 'ROUTED' as const,
        department,
        reason: action.reason,
        ...(note ? { note } : {}),
      };
      return { status: 'ROUTED', set, entry };
    }
    case 'extend': {
      if (ticket.extended) throw new ConflictError('the deadline has been extended once already');
      if (ticket.breachedAt) throw new ConflictError('the deadline has passed; it cannot be extended');
      // The deadline is the end of a day (24:00): count on from that day, not from the next.
      const due = dueAt(new Date(new Date(ticket.slaDueAt ?? at).getTime() - 1), action.days);
      const entry = {
        at,
        by,
        action: 'extend',
        status: ticket.status,
        reason: action.reason,
        note: `due ${due.toISOString()}`,
      };
      return { status: ticket.status, set: { extended: true, slaDueAt: due.toISOString() }, entry };
    }
    case 'resolve':
      return {
        status: 'RESOLVED',
        set: { resolvedAt: at, reply: action.reply },
        entry: { at, by, action: 'resolve', status: 'RESOLVED' },
      };
    case 'close':
      return {
        status: 'CLOSED',
        set: { closedAt: at, rating: action.rating },
        entry: { at, by, action: 'close', status: 'CLOSED', ...(action.comment ? { note: action.comment } : {}) },
      };
    case 'reopen': {
      const resolvedAt = new Date(ticket.resolvedAt ?? at).getTime();
      if (now.getTime() - resolvedAt > REOPEN_DAYS * 86_400_000)
        throw new ConflictError(`a ticket can be reopened within ${REOPEN_DAYS} days of its resolution`);
      // The department owes a new answer on the ticket's own clock; reminders already sent stay sent.
      const due = dueAt(now, 3);
      const timers = timersFor(now, due);
      return {
        status: 'REOPENED',
        set: { slaStartAt: at, slaDueAt: timers.dueAt, remindAt50: timers.remindAt50, remindAt75: timers.remindAt75 },
        entry: { at, by, action: 'reopen', status: 'REOPENED', reason: action.reason },
      };
    }
  }
}
