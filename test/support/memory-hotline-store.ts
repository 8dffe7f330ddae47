import { createHash } from 'node:crypto';
import type { HistoryEntry, Ticket } from '../../functions/hotline/model.ts';
import { isOpen } from '../../functions/hotline/model.ts';
import type { TicketChanges, TicketStore } from '../../functions/hotline/ports.ts';
import { slaStateOf } from '../../functions/hotline/sla.ts';

type Stored = Ticket & { nextTimerAt?: string; linked?: Set<string> };
const clone = <T>(value: T): T => structuredClone(value);

/** The in-memory fake of the ticket store: the same conditions as the DynamoDB adapter (test/contract/hotline). */
export class MemoryTicketStore implements TicketStore {
  readonly tickets = new Map<string, Stored>();
  readonly claims = new Map<string, { ticketId: string; expiresAt: number }>();

  private apply(ticket: Stored, changes: TicketChanges) {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete (ticket as unknown as Record<string, unknown>)[key];
      else if (value !== undefined) (ticket as unknown as Record<string, unknown>)[key] = clone(value);
    }
  }
  private strip(ticket: Stored | undefined): Ticket | undefined {
    if (!ticket) return undefined;
    const { nextTimerAt: _n, linked: _l, ...rest } = clone(ticket);
    return rest;
  }

  async create(ticket: Ticket, nextTimerAt?: string) {
    if (this.tickets.has(ticket.ticketId)) return false;
    this.tickets.set(ticket.ticketId, { ...clone(ticket), ...(nextTimerAt ? { nextTimerAt } : {}) });
    return true;
  }
  async remove(ticketId: string, whileAt?: Pick<Ticket, 'status' | 'version'>) {
    const ticket = this.tickets.get(ticketId);
    if (!ticket) return false;
    if (whileAt && (ticket.status !== whileAt.status || ticket.version !== whileAt.version)) return false;
    return this.tickets.delete(ticketId);
  }
  async get(ticketId: string) {
    return this.strip(this.tickets.get(ticketId));
  }
  async transition(ticketId: string, expectedVersion: number, changes: TicketChanges, entry: HistoryEntry) {
    const ticket = this.tickets.get(ticketId);
    if (!ticket || ticket.version !== expectedVersion) return false;
    this.apply(ticket, changes);
    ticket.version = expectedVersion + 1;
    ticket.history.push(clone(entry));
    return true;
  }
  async linkDuplicate(ticketId: string, duplicateId: string, entry: HistoryEntry) {
    const ticket = this.tickets.get(ticketId);
    if (!ticket || ticket.linked?.has(duplicateId)) return false;
    ticket.linked = new Set([...(ticket.linked ?? []), duplicateId]);
    ticket.history.push(clone(entry));
    return true;
  }
  async claimDuplicateKey(key: string, ticketId: string, now: Date, replacing?: string) {
    const pk = createHash('sha256').update(key).digest('base64url');
    const epoch = Math.floor(now.getTime() / 1000);
    const held = this.claims.get(pk);
    const free = replacing
      ? held?.ticketId === replacing || held?.ticketId === ticketId
      : !held || held.expiresAt < epoch || held.ticketId === ticketId;
    if (free) {
      this.claims.set(pk, { ticketId, expiresAt: epoch + 24 * 3600 });
      return ticketId;
    }
    return held?.ticketId ?? ticketId;
  }
  async markTimer(
    ticketId: string,
    mark: 'reminded50At' | 'reminded75At' | 'breachedAt',
    changes: TicketChanges,
    entry: HistoryEntry,
  ) {
    const ticket = this.tickets.get(ticketId);
    if (!ticket || ticket[mark] || !isOpen(ticket.status)) return false;
    this.apply(ticket, changes);
    ticket.history.push(clone(entry));
    return true;
  }
  async setNextTimer(ticketId: string, nextTimerAt: string | undefined, whileAt?: Pick<Ticket, 'status' | 'version'>) {
    const ticket = this.tickets.get(ticketId);
    if (!ticket) return false;
    if (whileAt && (ticket.status !== whileAt.status || ticket.version !== whileAt.version)) return false;
    if (nextTimerAt) ticket.nextTimerAt = nextTimerAt;
    else delete ticket.nextTimerAt;
    return true;
  }
  async dueTimers(now: Date, limit: number) {
    return [...this.tickets.values()]
      .filter((ticket) => ticket.nextTimerAt && ticket.nextTimerAt <= now.toISOString())
      .slice(0, limit)
      .map((ticket) => this.strip(ticket)!);
  }
  async byDepartment(department: string, filter: { status?: Ticket['status']; sla?: ReturnType<typeof slaStateOf> }) {
    return [...this.tickets.values()]
      .filter((ticket) => ticket.department === department || (department === 'dept-supervisor' && ticket.escalated))
      .filter(
        (ticket) =>
          (!filter.status || ticket.status === filter.status) && (!filter.sla || slaStateOf(ticket) === filter.sla),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((ticket) => this.strip(ticket)!);
  }
  async byFiler(filer: string, limit: number) {
    return [...this.tickets.values()]
      .filter((ticket) => `${ticket.filer.kind}#${ticket.filer.id}` === filer)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, limit)
      .map((ticket) => this.strip(ticket)!);
  }
}
