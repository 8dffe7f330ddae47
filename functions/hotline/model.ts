/** What the hotline stores about a ticket (docs/hotline.md). */
export type TicketStatus =
  | 'RECEIVED'
  | 'ROUTED'
  | 'TRIAGE'
  | 'ACCEPTED'
  | 'RESOLVED'
  | 'CLOSED'
  | 'REOPENED'
  | 'DUPLICATE';
export const TICKET_STATUSES: readonly TicketStatus[] = [
  'RECEIVED',
  'ROUTED',
  'TRIAGE',
  'ACCEPTED',
  'RESOLVED',
  'CLOSED',
  'REOPENED',
  'DUPLICATE',
];
export const CHANNELS = ['phone', 'app', 'wechat', 'web', 'open311'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Who filed a ticket, or acts on one. */
export type Actor =
  | { kind: 'citizen'; id: string; clientId: string }
  | { kind: 'client'; id: string; clientId: string; department?: string };

export interface Location {
  cityCode: string;
  districtCode?: string;
  address?: string;
  lat?: number;
  lon?: number;
}

export interface HistoryEntry {
  /** Set on department and citizen actions: tells a retried write's own landing from a rival's. */
  id?: string;
  at: string;
  action: string;
  by: string;
  status: TicketStatus;
  department?: string;
  reason?: string;
  note?: string;
}

export interface Ticket {
  ticketId: string;
  /** The filer's Idempotency-Key, when it sent one: its retries answer this ticket. */
  idempotencyKey?: string;
  status: TicketStatus;
  category: string;
  description: string;
  location: Location;
  contact: { phone: string; name?: string };
  channel: Channel;
  urgency: 'normal' | 'urgent';
  filer: Actor;
  createdAt: string;
  /** Bumped by every status transition: the condition of the next one. */
  version: number;
  department?: string;
  assisting?: string[];
  ruleId?: string;
  duplicateOf?: string;
  transfers: number;
  extended: boolean;
  escalated: boolean;
  slaStartAt?: string;
  slaDueAt?: string;
  remindAt50?: string;
  remindAt75?: string;
  /** Set once each, by a conditional write: the reminders and the breach happen exactly once. */
  reminded50At?: string;
  reminded75At?: string;
  breachedAt?: string;
  resolvedAt?: string;
  reply?: string;
  rating?: number;
  closedAt?: string;
  history: HistoryEntry[];
}

/** Open, for the SLA and for duplicates: a department still owes the citizen an answer. */
export const isOpen = (status: TicketStatus) =>
  ['RECEIVED', 'ROUTED', 'TRIAGE', 'ACCEPTED', 'REOPENED'].includes(status);
