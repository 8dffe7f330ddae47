import { describe, expect, it } from 'vitest';
import { fileTicket } from '../../../functions/hotline/use-cases/intake.ts';
import { routeTicket } from '../../../functions/hotline/use-cases/routing.ts';
import { sweepTimers } from '../../../functions/hotline/use-cases/sweep.ts';
import { citizen, context, hotlineWorld, newTicket } from '../../support/hotline-world.ts';

const shanghai = (local: string) => new Date(`${local}+08:00`);
type World = ReturnType<typeof hotlineWorld>;

/** A ticket stored RECEIVED whose routing message was lost (a 503 whose write landed afterwards). */
async function strandedTicket(world: World, overrides = {}) {
  const ticket = await fileTicket(newTicket(overrides), citizen, world.queuing, context);
  world.queued.length = 0;
  return ticket;
}

/** The timer the store holds for the ticket: what the sweeper's index sees. */
const storedTimer = (world: World, ticketId: string) => world.tickets.tickets.get(ticketId)?.nextTimerAt;

describe('the sweeper racing the router', () => {
  it('a ticket routed as soon as the sweeper queues it again keeps its SLA timer, not a routing check', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    // The router consumes the message before the sweeper's next write: the queue is that fast.
    const sweeping = {
      ...world.queuing,
      queue: {
        send: async (ticketId: string) => {
          await world.queue.send(ticketId);
          await routeTicket(ticketId, world.routing);
        },
      },
    };
    world.setNow(shanghai('2025-09-30T10:02:00'));
    expect(await sweepTimers(sweeping)).toEqual({ reminded: 0, breached: 0, requeued: 1 });
    const routed = (await world.tickets.get(ticket.ticketId))!;
    expect(routed.status).toBe('ROUTED');
    expect(storedTimer(world, ticket.ticketId)).toBe(routed.remindAt50);
    // Two minutes on, no sweep finds it: it is due at its 50% reminder, not every sweep until then.
    world.setNow(shanghai('2025-09-30T10:04:00'));
    expect((await world.tickets.dueTimers(world.ports.now(), 10)).map((due) => due.ticketId)).toEqual([]);
  });

  it('a ticket routed just as the sweeper gives up on it keeps its SLA timer', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    world.setNow(shanghai('2025-10-01T10:00:01'));
    // An operator redrives the DLQ: the router routes it between the sweeper's read and its write.
    const read = world.tickets.get.bind(world.tickets);
    let raced = false;
    world.tickets.get = async (ticketId: string) => {
      const found = await read(ticketId);
      if (!raced && found?.status === 'RECEIVED') {
        raced = true;
        await routeTicket(ticketId, world.routing);
      }
      return found;
    };
    await sweepTimers(world.queuing);
    const routed = (await read(ticket.ticketId))!;
    expect(routed.status).toBe('ROUTED');
    expect(storedTimer(world, ticket.ticketId)).toBe(routed.remindAt50);
  });

  it('a ticket listed with a timer that is not its next one (stale) is put back at its next one', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    await routeTicket(ticket.ticketId, world.routing);
    const routed = (await world.tickets.get(ticket.ticketId))!;
    await world.tickets.setNextTimer(ticket.ticketId, shanghai('2025-09-30T10:02:00').toISOString()); // as the race left it
    world.setNow(shanghai('2025-09-30T10:03:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    expect(storedTimer(world, ticket.ticketId)).toBe(routed.remindAt50);
  });

  it('two sweeps at once queue a stranded ticket twice, and routing it twice at once routes it once', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    world.setNow(shanghai('2025-09-30T10:02:00'));
    const sweeps = await Promise.all([sweepTimers(world.queuing), sweepTimers(world.queuing)]);
    expect(world.queued).toEqual([ticket.ticketId, ticket.ticketId]);
    expect(sweeps.reduce((sum, sweep) => sum + sweep.requeued, 0)).toBe(2);
    const outcomes = await Promise.all(world.queued.map((id) => routeTicket(id, world.routing)));
    expect(outcomes.sort()).toEqual(['already-routed', 'routed']);
    const routed = (await world.tickets.get(ticket.ticketId))!;
    expect(routed.history.filter((entry) => entry.action === 'route')).toHaveLength(1);
    expect(routed.version).toBe(2);
    expect(world.metrics.filter((name) => name === 'ticketRouted')).toHaveLength(1);
    // Both attempts audited under one id: the audit writer stores it once.
    expect(new Set(world.audit.filter((e) => e.action === 'hotline.ticket.route').map((e) => e.eventId)).size).toBe(1);
    expect(storedTimer(world, ticket.ticketId)).toBe(routed.remindAt50);
  });

  it('a stranded duplicate report queued twice at once is linked once, and leaves the timers', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const first = await fileTicket(newTicket(), citizen, world.queuing, context);
    await routeTicket(first.ticketId, world.routing);
    const repeat = await strandedTicket(world); // same phone, category and division
    world.setNow(shanghai('2025-09-30T10:02:00'));
    await Promise.all([sweepTimers(world.queuing), sweepTimers(world.queuing)]);
    const outcomes = await Promise.all(world.queued.map((id) => routeTicket(id, world.routing)));
    expect(outcomes.sort()).toEqual(['already-routed', 'duplicate']);
    const original = (await world.tickets.get(first.ticketId))!;
    expect(original.history.filter((entry) => entry.note === `duplicate report ${repeat.ticketId}`)).toHaveLength(1);
    expect(await world.tickets.get(repeat.ticketId)).toMatchObject({
      status: 'DUPLICATE',
      duplicateOf: first.ticketId,
    });
    world.setNow(shanghai('2025-09-30T10:05:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    expect(storedTimer(world, repeat.ticketId)).toBeUndefined();
  });
});
