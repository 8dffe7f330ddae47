import type { EmitAudit } from '../../shared/audit.ts';
import type { HistoryEntry, Ticket, TicketStatus } from './model.ts';
import type { SlaState } from './sla.ts';

/** The SLA timer attributes, each set once (exactly-once reminders and breach). */
export type TimerMark = 'reminded50At' | 'reminded75At' | 'breachedAt';

/** Attributes a write sets; `null` removes one (a ticket that leaves the timers index). */
export type TicketChanges = { [K in keyof Ticket]?: Ticket[K] | null } & { nextTimerAt?: string | null };

export interface TicketStore {
  /** Creates the ticket with its first timer; false if its id exists. */
  create(ticket: Ticket, nextTimerAt?: string): Promise<boolean>;
  /**
   * Undoes a create whose routing message could not be queued; with `whileAt`, only while the ticket
   * still has that status and version (a retry may have taken it over meanwhile). False if it did not.
   */
  remove(ticketId: string, whileAt?: Pick<Ticket, 'status' | 'version'>): Promise<boolean>;
  get(ticketId: string): Promise<Ticket | undefined>;
  /** One conditional write: applies only while the ticket is still at `expectedVersion`. */
  transition(ticketId: string, expectedVersion: number, changes: TicketChanges, entry: HistoryEntry): Promise<boolean>;
  /** Appends an entry linking a duplicate report, once per duplicate. */
  linkDuplicate(ticketId: string, duplicateId: string, entry: HistoryEntry): Promise<boolean>;
  /**
   * Claims (phone, category, division) for 24 h for `ticketId`; answers who holds it. `replacing` takes
   * the claim over from that (no longer open) ticket.
   */
  claimDuplicateKey(key: string, ticketId: string, now: Date, replacing?: string): Promise<string>;
  /** Sets one timer mark if it is not set and the ticket is open: true for the one write that did. */
  markTimer(ticketId: string, mark: TimerMark, changes: TicketChanges, entry: HistoryEntry): Promise<boolean>;
  /**
   * Sets the next timer (after marks, or to drop a stale one); with `whileAt`, only while the ticket
   * still has that status and version (a router or a department may have moved it since it was read).
   * False when the ticket is gone or has moved.
   */
  setNextTimer(
    ticketId: string,
    nextTimerAt: string | undefined,
    whileAt?: Pick<Ticket, 'status' | 'version'>,
  ): Promise<boolean>;
  /** Tickets with a timer at or before `now`. */
  dueTimers(now: Date, limit: number): Promise<Ticket[]>;
  byDepartment(department: string, filter: { status?: TicketStatus; sla?: SlaState }): Promise<Ticket[]>;
  byFiler(filer: string, limit: number): Promise<Ticket[]>;
}

export interface RoutingQueue {
  send(ticketId: string): Promise<void>;
}

/** An Open311 api_key's client, as the identity capability registered it. */
export interface ApiKeyClient {
  clientId: string;
  department?: string;
  scopes: string[];
}
export type ApiKeys = (apiKey: string) => Promise<ApiKeyClient | undefined>;

export interface HotlinePorts {
  tickets: TicketStore;
  audit: EmitAudit;
  now: () => Date;
  countMetric?: (name: string, count?: number) => void;
}
