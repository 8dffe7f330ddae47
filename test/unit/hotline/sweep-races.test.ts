import { describe, expect, it } from 'vitest';
import { fileTicket } from '../../../functions/hotline/use-cases/intake.ts';
import { routeTicket } from '../../../functions/hotline/use-cases/routing.ts';
import { sweepTimers } from '../../../functions/hotline/use-cases/sweep.ts';
import { DependencyUnavailableError } from '../../../shared/errors.ts';
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

describe('the sweeper and a removed ticket', () => {
  it('skips a ticket the timers index still lists after intake removed it (indexes lag the table)', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    const stale = (await world.tickets.get(ticket.ticketId))!;
    await world.tickets.remove(ticket.ticketId); // the rollback of a 503
    world.tickets.dueTimers = async () => [stale];
    world.setNow(shanghai('2025-09-30T10:02:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    // No message the router would send to the DLQ at once ("no ticket"), and no event about it.
    expect(world.queued).toEqual([]);
    expect(world.audit.filter((event) => event.action !== 'hotline.ticket.file')).toEqual([]);
  });
});

/** A routing queue whose first send hangs (the gateway answers 504 meanwhile) until failFirst; later sends go through. */
function firstSendHangs(world: ReturnType<typeof hotlineWorld>) {
  let fail: (error: Error) => void = () => undefined;
  let count = 0;
  const queue = {
    send: (ticketId: string) => {
      count++;
      if (count === 1) return new Promise<void>((_, reject) => (fail = reject));
      return world.queue.send(ticketId);
    },
  };
  return { queue, failFirst: (error: Error) => fail(error), sends: () => count };
}

describe("intake's rollback racing a retry with the same Idempotency-Key", () => {
  it('a retry answered while the first attempt is still waiting on the queue keeps its ticket when that attempt gives up', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const keyed = { ...context, idempotencyKey: 'gateway-timed-out' };
    const { queue, failFirst, sends } = firstSendHangs(world);
    const ports = { ...world.ports, queue };
    const first = fileTicket(newTicket(), citizen, ports, keyed);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sends()).toBe(1);
    const retried = await fileTicket(newTicket(), citizen, ports, keyed); // the client's retry: 202
    failFirst(new Error('queue timed out'));
    await expect(first).rejects.toThrow(DependencyUnavailableError);
    // The ticket the retry answered exists, and its routing message finds it.
    expect(await world.tickets.get(retried.ticketId)).toMatchObject({ status: 'RECEIVED' });
    expect(world.queued).toEqual([retried.ticketId]);
    expect(await routeTicket(retried.ticketId, world.routing)).toBe('routed');
  });

  it('a send that timed out after it landed: the router routed the ticket, and the rollback leaves it', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const queue = {
      send: async (ticketId: string) => {
        await world.queue.send(ticketId);
        await routeTicket(ticketId, world.routing); // consumed at once
        throw new Error('socket timed out after the message was accepted');
      },
    };
    await expect(fileTicket(newTicket(), citizen, { ...world.ports, queue }, context)).rejects.toThrow(
      DependencyUnavailableError,
    );
    // A department already has it: it stays (the client's retry files a duplicate, which routing links).
    const [routed] = [...world.tickets.tickets.values()];
    expect(routed).toMatchObject({ status: 'ROUTED', version: 2 });
  });

  it('a retry that reads the ticket just before the first attempt removes it files it again', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const keyed = { ...context, idempotencyKey: 'removed-under-me' };
    const { queue, failFirst } = firstSendHangs(world);
    const ports = { ...world.ports, queue };
    const first = fileTicket(newTicket(), citizen, ports, keyed);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The retry reads the ticket, then the first attempt gives up and removes it before the retry goes on.
    const read = world.tickets.get.bind(world.tickets);
    world.tickets.get = async (ticketId: string) => {
      const found = await read(ticketId);
      world.tickets.get = read;
      failFirst(new Error('queue timed out'));
      await expect(first).rejects.toThrow(DependencyUnavailableError);
      return found;
    };
    const retried = await fileTicket(newTicket(), citizen, ports, keyed);
    expect(await world.tickets.get(retried.ticketId)).toMatchObject({ status: 'RECEIVED' });
    expect(world.queued).toEqual([retried.ticketId]);
  });
});
