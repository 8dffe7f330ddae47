import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ticket } from '../../../functions/hotline/model.ts';
import type { TicketStore } from '../../../functions/hotline/ports.ts';
import { nextTimer } from '../../../functions/hotline/sla.ts';
import { fileTicket } from '../../../functions/hotline/use-cases/intake.ts';
import { routeTicket } from '../../../functions/hotline/use-cases/routing.ts';
import { sweepTimers } from '../../../functions/hotline/use-cases/sweep.ts';
import { citizen, context, hotlineWorld, newTicket } from '../../support/hotline-world.ts';

const shanghai = (local: string) => new Date(`${local}+08:00`);

/** The store with every call's moment chosen by the scheduler: the interleavings sandboxes make. */
function scheduledStore(store: TicketStore, scheduler: fc.Scheduler): TicketStore {
  const scheduled = {} as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store)).filter((n) => n !== 'constructor'))
    scheduled[name] = (...args: unknown[]) =>
      scheduler
        .schedule(Promise.resolve(name), name)
        .then(() => (store[name as keyof TicketStore] as (...a: unknown[]) => Promise<unknown>).apply(store, args));
  return scheduled as unknown as TicketStore;
}

describe('intake, the router and the sweeper, interleaved', () => {
  it('leave every ticket a client was answered with in place, routed once, with the timer its state needs', async () => {
    const plan = fc.record({
      /** Attempts of one request with one Idempotency-Key (the client retried, the gateway timed out). */
      attempts: fc.integer({ min: 1, max: 3 }),
      /** Which routing-queue sends fail (in the order they are made). */
      sendFails: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      /** Each message delivered once or twice (standard SQS). */
      deliveredTwice: fc.boolean(),
      sweeps: fc.integer({ min: 1, max: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), plan, async (scheduler, { attempts, sendFails, deliveredTwice, sweeps }) => {
        const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
        const tickets = scheduledStore(world.tickets, scheduler);
        const routing: Promise<unknown>[] = [];
        let sends = 0;
        const queue = {
          send: async (ticketId: string) => {
            await scheduler.schedule(Promise.resolve('send'), 'send');
            if (sendFails[sends++ % sendFails.length]) throw new Error('queue down');
            // The router consumes the message at once, once or twice.
            for (let i = 0; i < (deliveredTwice ? 2 : 1); i++)
              routing.push(routeTicket(ticketId, { ...world.routing, tickets }).catch(() => undefined));
          },
        };
        const ports = { ...world.ports, tickets, queue };
        const keyed = { ...context, idempotencyKey: 'one-request' };
        const answers = await scheduler.waitFor(
          Promise.allSettled(Array.from({ length: attempts }, () => fileTicket(newTicket(), citizen, ports, keyed))),
        );
        await scheduler.waitFor(Promise.all(routing));
        // The sweeps: two minutes on (the routing check), then two more.
        for (const at of ['2025-09-30T10:02:00', '2025-09-30T10:04:00']) {
          world.setNow(shanghai(at));
          await scheduler.waitFor(Promise.all(Array.from({ length: sweeps }, () => sweepTimers(ports))));
          await scheduler.waitFor(Promise.all(routing));
        }
        const answered = answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value.ticketId] : []));
        const stored = [...world.tickets.tickets.values()];
        // A ticket a client was answered with exists.
        for (const id of answered) expect(world.tickets.tickets.has(id)).toBe(true);
        for (const ticket of stored) {
          expect(ticket.history.filter((entry) => entry.action === 'route')).toHaveLength(
            ticket.status === 'RECEIVED' ? 0 : 1,
          );
          // Routed: its next SLA timer is the one stored. Not yet: a routing check keeps it in the sweep.
          if (ticket.status === 'RECEIVED') expect(ticket.nextTimerAt).toBeDefined();
          else expect(ticket.nextTimerAt).toBe(nextTimer(ticket as Ticket));
        }
      }),
      { numRuns: 300 },
    );
  });
});
