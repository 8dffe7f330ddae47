import { randomBytes } from 'node:crypto';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
import type { Actor, Channel, Location, Ticket } from '../model.ts';
import type { HotlinePorts, RoutingQueue } from '../ports.ts';
import { auditActor, type RequestContext } from './context.ts';

export interface NewTicket {
  category: string;
  description: string;
  location: Location;
  contact: { phone: string; name?: string };
  channel: Channel;
  urgency?: 'normal' | 'urgent';
}

/** `20261130-k3v9q2m7xw`: the day it was filed (Shanghai) and 50 random bits. */
export const newTicketId = (now: Date) =>
  `${new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(8)
    .readBigUInt64BE()
    .toString(36)
    .padStart(10, '0')
    .slice(-10)}`;

/**
 * Intake: the ticket is stored RECEIVED and its id queued for routing. The audit event goes first
 * (no event, no ticket); a ticket whose routing message cannot be queued is removed again, so a
 * 503 leaves nothing behind.
 */
export async function fileTicket(
  input: NewTicket,
  filer: Actor,
  ports: HotlinePorts & { queue: RoutingQueue },
  context: RequestContext,
): Promise<Ticket> {
  const now = ports.now();
  const ticket: Ticket = {
    ticketId: newTicketId(now),
    status: 'RECEIVED',
    category: input.category,
    description: input.description,
    location: input.location,
    contact: input.contact,
    channel: input.channel,
    urgency: input.urgency ?? 'normal',
    filer,
    createdAt: now.toISOString(),
    version: 1,
    transfers: 0,
    extended: false,
    escalated: false,
    history: [{ at: now.toISOString(), action: 'file', by: filer.clientId, status: 'RECEIVED' }],
  };
  await ports.audit({
    actor: auditActor(filer),
    action: 'hotline.ticket.file',
    resource: `ticket/${ticket.ticketId}`,
    outcome: 'success',
    ...context,
  });
  if (!(await ports.tickets.create(ticket))) {
    // The SDK retries a write whose answer timed out: if the first attempt stored it, the ticket is ours.
    const stored = await ports.tickets.get(ticket.ticketId);
    if (stored?.createdAt !== ticket.createdAt || stored.filer.id !== filer.id)
      throw new DependencyUnavailableError('ticket ids', 1);
  }
  try {
    await ports.queue.send(ticket.ticketId);
  } catch (error) {
    await ports.tickets.remove(ticket.ticketId).catch(() => undefined);
    throw new DependencyUnavailableError('routing queue', 5, error);
  }
  ports.countMetric?.('ticketFiled');
  return ticket;
}
