import { createHash, randomBytes } from 'node:crypto';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
import type { Actor, Channel, Location, Ticket } from '../model.ts';
import type { HotlinePorts, RoutingQueue } from '../ports.ts';
import { routingCheckAfter } from '../sla.ts';
import { auditActor, type RequestContext } from './context.ts';

export interface NewTicket {
  category: string;
  description: string;
  location: Location;
  contact: { phone: string; name?: string };
  channel: Channel;
  urgency?: 'normal' | 'urgent';
}

const shanghaiDay = (now: Date) =>
  new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');
const base36 = (bytes: Buffer) => bytes.readBigUInt64BE().toString(36).padStart(10, '0').slice(-10);

/** `20261130-k3v9q2m7xw`: the day it was filed (Shanghai) and 50 random bits. */
export const newTicketId = (now: Date) => `${shanghaiDay(now)}-${base36(randomBytes(8))}`;

/**
 * The ticket id of a request with an Idempotency-Key: the day and 50 bits of a hash of the filer and
 * the key, so a retry of a request whose answer was lost (a 503 while DynamoDB hung, whose write
 * landed later) names the same ticket instead of filing a second one.
 */
export const keyedTicketId = (now: Date, filer: Actor, key: string) =>
  `${shanghaiDay(now)}-${base36(createHash('sha256').update([filer.kind, filer.clientId, filer.id, key].join('\u0000')).digest())}`;

/**
 * Stores the ticket, or finds the one an earlier attempt stored (the SDK's retry of a write whose answer
 * was lost, or the client's retry with the same Idempotency-Key); `created` tells which.
 */
async function storeTicket(
  ticket: Ticket,
  filer: Actor,
  key: string | undefined,
  ports: HotlinePorts,
  now: Date,
): Promise<{ ticket: Ticket; created: boolean }> {
  for (let tries = 1; tries <= 3; tries++) {
    if (await ports.tickets.create(ticket, routingCheckAfter(now))) return { ticket, created: true };
    const stored = await ports.tickets.get(ticket.ticketId);
    if (!stored) continue; // removed since: the attempt that stored it gave up on the queue
    const ours =
      stored.filer.id === filer.id &&
      (key
        ? stored.idempotencyKey === key && stored.filer.clientId === filer.clientId
        : stored.createdAt === ticket.createdAt);
    if (!ours) break;
    if (!key || stored.status !== 'RECEIVED' || stored.version !== 1) return { ticket: stored, created: false };
    // Another attempt with this key may still be waiting on the queue, to remove the ticket if it gives
    // up: taken over (its version moved on), the ticket stays; removed first, it is filed again.
    const entry = {
      at: now.toISOString(),
      action: 'file',
      by: filer.clientId,
      status: 'RECEIVED' as const,
      note: 'filed again',
    };
    if (await ports.tickets.transition(stored.ticketId, 1, {}, entry))
      return { ticket: { ...stored, version: 2, history: [...stored.history, entry] }, created: false };
  }
  throw new DependencyUnavailableError('ticket ids', 1);
}

/**
 * Intake: the ticket is stored RECEIVED, with a timer that has the sweeper queue it again should it
 * still be RECEIVED in two minutes, and its id queued for routing. The audit event goes first
 * (no event, no ticket); a ticket whose routing message cannot be queued is removed again, so a
 * 503 leaves nothing behind. With an idempotency key (the Idempotency-Key header) a retry answers
 * the ticket its first attempt stored, queues it again (routing is idempotent) and repeats the
 * audit event under the same id (the writer keeps one).
 */
export async function fileTicket(
  input: NewTicket,
  filer: Actor,
  ports: HotlinePorts & { queue: RoutingQueue },
  context: RequestContext & { idempotencyKey?: string },
): Promise<Ticket> {
  const now = ports.now();
  const key = context.idempotencyKey;
  const draft: Ticket = {
    ticketId: key ? keyedTicketId(now, filer, key) : newTicketId(now),
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
    ...(key ? { idempotencyKey: key } : {}),
  };
  const { idempotencyKey: _key, ...audited } = context;
  await ports.audit({
    ...(key ? { eventId: `hotline-file-${draft.ticketId}` } : {}),
    actor: auditActor(filer),
    action: 'hotline.ticket.file',
    resource: `ticket/${draft.ticketId}`,
    outcome: 'success',
    ...audited,
  });
  const { ticket, created } = await storeTicket(draft, filer, key, ports, now);
  try {
    await ports.queue.send(ticket.ticketId);
  } catch (error) {
    // A ticket an earlier attempt stored stays: that attempt's message may be on its way, and the client's
    // retry sends another. This attempt's own goes, unless a retry has taken it over meanwhile.
    if (created) await ports.tickets.remove(ticket.ticketId, ticket).catch(() => undefined);
    throw new DependencyUnavailableError('routing queue', 5, error);
  }
  if (created) ports.countMetric?.('ticketFiled');
  return ticket;
}
