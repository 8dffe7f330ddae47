import { maskName, maskPhone } from '../../shared/personal-data.ts';
import { categoryOf } from './catalogue.ts';
import type { Ticket } from './model.ts';
import { slaStateOf } from './sla.ts';

/**
 * A ticket as GET /tickets/{ticketId} answers it. The phone and name are whole only for the filer
 * and the department responsible (`reveal`); everyone else sees them masked.
 */
export function ticketView(ticket: Ticket, reveal: boolean) {
  return {
    ticketId: ticket.ticketId,
    status: ticket.status,
    category: ticket.category,
    description: ticket.description,
    location: ticket.location,
    contact: {
      phone: reveal ? ticket.contact.phone : maskPhone(ticket.contact.phone),
      ...(ticket.contact.name ? { name: reveal ? ticket.contact.name : maskName(ticket.contact.name) } : {}),
    },
    channel: ticket.channel,
    urgency: ticket.urgency,
    department: ticket.department ?? null,
    assisting: ticket.assisting ?? [],
    escalated: ticket.escalated,
    duplicateOf: ticket.duplicateOf ?? null,
    transfers: ticket.transfers,
    extended: ticket.extended,
    slaDueAt: ticket.slaDueAt ?? null,
    slaState: slaStateOf(ticket),
    createdAt: ticket.createdAt,
    resolvedAt: ticket.resolvedAt ?? null,
    reply: ticket.reply ?? null,
    rating: ticket.rating ?? null,
    closedAt: ticket.closedAt ?? null,
    history: ticket.history,
  };
}

/** A line of a department's work queue. */
export const queueItem = (ticket: Ticket) => ({
  ticketId: ticket.ticketId,
  status: ticket.status,
  category: ticket.category,
  categoryName: categoryOf(ticket.category)?.name ?? ticket.category,
  department: ticket.department ?? null,
  escalated: ticket.escalated,
  slaDueAt: ticket.slaDueAt ?? null,
  slaState: slaStateOf(ticket),
  createdAt: ticket.createdAt,
});
