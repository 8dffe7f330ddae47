import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeRouteRecord } from '../../../functions/hotline/route-record.ts';
import { actOnTicket, readTicket } from '../../../functions/hotline/use-cases/actions.ts';
import { fileTicket } from '../../../functions/hotline/use-cases/intake.ts';
import { routeTicket } from '../../../functions/hotline/use-cases/routing.ts';
import { sweepTimers } from '../../../functions/hotline/use-cases/sweep.ts';
import { ConflictError, DependencyUnavailableError, ForbiddenError } from '../../../shared/errors.ts';
import { citizen, context, department, hotlineWorld, newTicket } from '../../support/hotline-world.ts';

const shanghai = (local: string) => new Date(`${local}+08:00`);

async function filedAndRouted(world: ReturnType<typeof hotlineWorld>, overrides = {}) {
  const ticket = await fileTicket(newTicket(overrides), citizen, { ...world.ports, queue: world.queue }, context);
  await routeTicket(ticket.ticketId, world.routing);
  return (await world.tickets.get(ticket.ticketId))!;
}

describe('intake', () => {
  it('stores the ticket RECEIVED, queues its id, audits the filing', async () => {
    const world = hotlineWorld();
    const ticket = await fileTicket(newTicket(), citizen, { ...world.ports, queue: world.queue }, context);
    expect(ticket.ticketId).toMatch(/^20250930-[0-9a-z]{10}$/);
    expect(world.queued).toEqual([ticket.ticketId]);
    expect(await world.tickets.get(ticket.ticketId)).toMatchObject({ status: 'RECEIVED', version: 1 });
    expect(world.audit).toEqual([
      expect.objectContaining({ action: 'hotline.ticket.file', resource: `ticket/${ticket.ticketId}` }),
    ]);
  });

  it('with the audit queue down: 503 and no ticket; with the routing queue down: 503 and the ticket removed', async () => {
    const world = hotlineWorld();
    world.faults.audit = true;
    await expect(fileTicket(newTicket(), citizen, { ...world.ports, queue: world.queue }, context)).rejects.toThrow(
      DependencyUnavailableError,
    );
    world.faults.audit = false;
    world.faults.queue = true;
    await expect(fileTicket(newTicket(), citizen, { ...world.ports, queue: world.queue }, context)).rejects.toThrow(
      DependencyUnavailableError,
    );
    expect(world.tickets.tickets.size).toBe(0);
  });

  it('with an Idempotency-Key: a retry after a lost answer names the ticket the first attempt stored, once', async () => {
    const world = hotlineWorld();
    const keyed = { ...context, idempotencyKey: 'retry-me' };
    const ports = { ...world.ports, queue: world.queue };
    // The first attempt's ticket was stored, its routing message never sent (the client saw a 503).
    world.faults.queue = true;
    await expect(fileTicket(newTicket(), citizen, ports, keyed)).rejects.toThrow(DependencyUnavailableError);
    expect(world.tickets.tickets.size).toBe(0); // this attempt stored it: removed again
    world.faults.queue = false;
    const first = await fileTicket(newTicket(), citizen, ports, keyed);
    const retried = await fileTicket(newTicket(), citizen, ports, keyed);
    expect(retried.ticketId).toBe(first.ticketId);
    expect(retried.createdAt).toBe(first.createdAt);
    expect(world.tickets.tickets.size).toBe(1);
    // Queued again (routing is idempotent); one audit event id, which the writer keeps once.
    expect(world.queued).toEqual([first.ticketId, first.ticketId]);
    expect(new Set(world.audit.map((event) => event.eventId))).toEqual(new Set([`hotline-file-${first.ticketId}`]));
    // Another key, or another filer with the same key, files another ticket.
    const other = await fileTicket(newTicket(), citizen, ports, { ...context, idempotencyKey: 'another' });
    expect(other.ticketId).not.toBe(first.ticketId);
    const byDepartment = await fileTicket(newTicket(), department('dept-housing'), ports, keyed);
    expect(byDepartment.ticketId).not.toBe(first.ticketId);
  });
});

describe('routing', () => {
  it('routes by the most specific rule, with the SLA timers, once however often it is delivered', async () => {
    const world = hotlineWorld();
    const ticket = await fileTicket(
      newTicket({ category: 'environment.noise', location: { cityCode: '370100', districtCode: '370102' } }),
      citizen,
      { ...world.ports, queue: world.queue },
      context,
    );
    expect(await routeTicket(ticket.ticketId, world.routing)).toBe('routed');
    expect(await routeTicket(ticket.ticketId, world.routing)).toBe('already-routed');
    const routed = (await world.tickets.get(ticket.ticketId))!;
    expect(routed).toMatchObject({
      status: 'ROUTED',
      department: 'dept-police',
      assisting: ['dept-environment'],
      ruleId: 'noise-lixia-night',
      version: 2,
    });
    // complaint: 13 working days after 30 Sep: 9, 10, 11 (the worked Saturday), 13–17, 20–24 October
    expect(routed.slaDueAt).toBe(shanghai('2025-10-25T00:00:00').toISOString());
    expect(world.audit.filter((e) => e.action === 'hotline.ticket.route')).toHaveLength(1);
    expect(world.metrics.filter((m) => m === 'ticketRouted')).toHaveLength(1);
  });

  it('sends a ticket no rule matches to TRIAGE at the call centre', async () => {
    const world = hotlineWorld();
    expect(await filedAndRouted(world, { category: 'social.insurance' })).toMatchObject({
      status: 'TRIAGE',
      department: 'dept-12345',
    });
  });

  it('links a duplicate (same phone, category, division within 24 h) to the open ticket instead of routing it', async () => {
    const world = hotlineWorld();
    const first = await filedAndRouted(world);
    world.setNow(new Date(world.ports.now().getTime() + 3600_000));
    const second = await fileTicket(newTicket(), citizen, { ...world.ports, queue: world.queue }, context);
    expect(await routeTicket(second.ticketId, world.routing)).toBe('duplicate');
    expect(await routeTicket(second.ticketId, world.routing)).toBe('already-routed');
    expect(await world.tickets.get(second.ticketId)).toMatchObject({
      status: 'DUPLICATE',
      duplicateOf: first.ticketId,
    });
    expect((await world.tickets.get(first.ticketId))!.history.filter((h) => h.action === 'link')).toHaveLength(1);
    // Another phone, or after 24 h, is a ticket of its own.
    expect(await filedAndRouted(world, { contact: { phone: '13700000000' } })).toMatchObject({ status: 'ROUTED' });
    world.setNow(new Date(world.ports.now().getTime() + 25 * 3600_000));
    expect(await filedAndRouted(world)).toMatchObject({ status: 'ROUTED' });
  });

  it('routes a repeat report normally once the first ticket is closed', async () => {
    const world = hotlineWorld();
    const first = await filedAndRouted(world);
    await world.tickets.transition(
      first.ticketId,
      first.version,
      { status: 'CLOSED' },
      { at: 'x', action: 'close', by: 't', status: 'CLOSED' },
    );
    expect(await filedAndRouted(world)).toMatchObject({ status: 'ROUTED' });
  });

  it('a poison message goes to the DLQ at once with its reason; a passing failure is thrown for SQS to retry', async () => {
    const world = hotlineWorld();
    const dead: { body: string; reason: string }[] = [];
    const handle = makeRouteRecord(
      world.routing,
      async (record: SQSRecord, reason: string) => void dead.push({ body: record.body, reason }),
    );
    const record = (body: string) => ({ body, messageId: `m-${body.length}` }) as SQSRecord;
    await handle(record('not json'));
    await handle(record('{"ticketId":"drop table"}'));
    await handle(record('{"ticketId":"20250930-0000000000"}'));
    expect(dead.map((d) => d.reason)).toEqual([
      'the message is not JSON',
      'the message is not { "ticketId": … }',
      'no ticket 20250930-0000000000',
    ]);
    // A good ticket in the same batch is routed regardless.
    const ticket = await fileTicket(newTicket(), citizen, { ...world.ports, queue: world.queue }, context);
    await handle(record(JSON.stringify({ ticketId: ticket.ticketId })));
    expect(await world.tickets.get(ticket.ticketId)).toMatchObject({ status: 'ROUTED' });
    // The audit queue down is not poison: the record fails, to be retried (and after 5 receives redriven).
    const other = await fileTicket(
      newTicket({ contact: { phone: '13800000000' } }),
      citizen,
      { ...world.ports, queue: world.queue },
      context,
    );
    world.faults.audit = true;
    await expect(handle(record(JSON.stringify({ ticketId: other.ticketId })))).rejects.toThrow(
      DependencyUnavailableError,
    );
    expect(await world.tickets.get(other.ticketId)).toMatchObject({ status: 'RECEIVED' });
    expect(dead).toHaveLength(3);
  });
});

describe('department actions', () => {
  it('of two sandboxes of the department accepting at once, one wins and the other gets 409', async () => {
    const world = hotlineWorld();
    const ticket = await filedAndRouted(world);
    const housing = department('dept-housing');
    const results = await Promise.allSettled([
      actOnTicket(ticket.ticketId, { action: 'accept' }, housing, world.ports, context),
      actOnTicket(ticket.ticketId, { action: 'accept' }, housing, world.ports, context),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(ConflictError);
    expect((await world.tickets.get(ticket.ticketId))!.history.filter((h) => h.action === 'accept')).toHaveLength(1);
  });

  it('a write the SDK retried after its answer was lost counts as done, once (intake and action alike)', async () => {
    const world = hotlineWorld();
    const store = world.tickets;
    // The first attempt lands, its answer is lost, the retry fails its own condition.
    const create = store.create.bind(store);
    store.create = async (ticket) => (await create(ticket)) && false;
    const filed = await fileTicket(newTicket(), citizen, { ...world.ports, queue: world.queue }, context);
    store.create = create;
    expect(world.queued).toEqual([filed.ticketId]);
    await routeTicket(filed.ticketId, world.routing);
    const transition = store.transition.bind(store);
    store.transition = async (...args) => (await transition(...args)) && false;
    const accepted = await actOnTicket(
      filed.ticketId,
      { action: 'accept' },
      department('dept-housing'),
      world.ports,
      context,
    );
    expect(accepted.status).toBe('ACCEPTED');
    expect((await store.get(filed.ticketId))!.history.filter((h) => h.action === 'accept')).toHaveLength(1);
  });

  it('another department is refused and the denial is audited; it may not read the ticket either', async () => {
    const world = hotlineWorld();
    const ticket = await filedAndRouted(world);
    await expect(
      actOnTicket(ticket.ticketId, { action: 'accept' }, department('dept-transport'), world.ports, context),
    ).rejects.toThrow(ForbiddenError);
    await expect(readTicket(ticket.ticketId, department('dept-transport'), world.ports, context)).rejects.toThrow(
      ForbiddenError,
    );
    await expect(readTicket(ticket.ticketId, { ...citizen, id: 'acc-2' }, world.ports, context)).rejects.toThrow(
      ForbiddenError,
    );
    expect(world.audit.filter((e) => e.outcome === 'denied').map((e) => e.action)).toEqual([
      'hotline.ticket.accept',
      'hotline.ticket.read',
      'hotline.ticket.read',
    ]);
    expect((await readTicket(ticket.ticketId, citizen, world.ports, context)).reveal).toBe(true);
  });
});

describe('a ticket whose routing message was lost', () => {
  // A 503 answered while DynamoDB hung, whose write landed afterwards: stored RECEIVED, no message.
  async function strandedTicket(world: ReturnType<typeof hotlineWorld>) {
    const ticket = await fileTicket(newTicket(), citizen, world.queuing, context);
    world.queued.length = 0;
    return ticket;
  }

  it('is queued again by the sweeper two minutes after filing, then checked again two minutes later', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    world.setNow(shanghai('2025-09-30T10:01:59'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    world.setNow(shanghai('2025-09-30T10:02:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 1 });
    expect(world.queued).toEqual([ticket.ticketId]);
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    world.setNow(shanghai('2025-09-30T10:04:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 1 });
    expect(world.metrics.filter((name) => name === 'ticketRequeued')).toHaveLength(2);
  });

  it('leaves the routing check once routed: its SLA timers replace it', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    await routeTicket(ticket.ticketId, world.routing);
    world.setNow(shanghai('2025-09-30T10:30:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    expect(world.queued).toEqual([]);
  });

  it('is left to an operator after a day, counted as unrouted and as a breach (the alarmed metric)', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await strandedTicket(world);
    world.setNow(shanghai('2025-10-01T10:00:01'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    expect(world.metrics).toEqual(expect.arrayContaining(['ticketUnrouted', 'slaBreached']));
    expect(await world.tickets.dueTimers(shanghai('2025-10-09T00:00:00'), 10)).toEqual([]);
    expect((await world.tickets.get(ticket.ticketId))?.status).toBe('RECEIVED');
  });

  it('with the routing queue down, the ticket stays due for the next sweep and the other timers still fire', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const routed = await filedAndRouted(world, { category: 'policy.enquiry', location: { cityCode: '370200' } });
    world.setNow(new Date(Date.parse(routed.remindAt50!) - 180_000));
    const ticket = await strandedTicket(world);
    world.setNow(new Date(Date.parse(routed.remindAt50!) + 1));
    world.faults.queue = true;
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 1, breached: 0, requeued: 0 });
    world.faults.queue = false;
    expect((await world.tickets.dueTimers(world.ports.now(), 10)).map((due) => due.ticketId)).toEqual([
      ticket.ticketId,
    ]);
  });
});

describe('SLA timers on a fake clock, across National Day 2025 and its adjusted working Saturday', () => {
  it('reminds at 50% and 75% of the working time and escalates the breach, each exactly once', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await filedAndRouted(world, { category: 'policy.enquiry', location: { cityCode: '370200' } }); // enquiry: 3 working days
    expect(ticket.slaDueAt).toBe(shanghai('2025-10-12T00:00:00').toISOString());

    // Halfway through the calendar days but still on the holiday: no working time has passed.
    world.setNow(shanghai('2025-10-05T12:00:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });

    // 50% of 86 working hours is Fri 10 Oct 05:00; two sweeps at once remind once.
    world.setNow(shanghai('2025-10-10T06:00:00'));
    const both = await Promise.all([sweepTimers(world.queuing), sweepTimers(world.queuing)]);
    expect(both.reduce((sum, r) => sum + r.reminded, 0)).toBe(1);

    // 75% falls on the adjusted working Saturday, 11 October, 02:30.
    world.setNow(shanghai('2025-10-11T03:00:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 1, breached: 0, requeued: 0 });

    world.setNow(shanghai('2025-10-12T00:01:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 1, requeued: 0 });
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });

    const after = (await world.tickets.get(ticket.ticketId))!;
    expect(after).toMatchObject({
      escalated: true,
      breachedAt: expect.any(String),
      reminded50At: expect.any(String),
      reminded75At: expect.any(String),
    });
    expect(after.history.map((h) => h.action).filter((a) => a.startsWith('remind') || a === 'breach')).toEqual([
      'remind-50',
      'remind-75',
      'breach',
    ]);
    expect(world.metrics.filter((m) => m === 'slaBreached')).toHaveLength(1);
    expect((await world.tickets.byDepartment('dept-supervisor', { sla: 'breached' })).map((t) => t.ticketId)).toEqual([
      ticket.ticketId,
    ]);
    // Each timer's audit event has an id of its own, so a retried sweep adds none (the writer drops known ids).
    const ids = world.audit.filter((e) => e.action.startsWith('hotline.sla.')).map((e) => e.eventId);
    expect(new Set(ids).size).toBe(3);
  });

  it('a resolved ticket leaves the timers: no reminder after the answer', async () => {
    const world = hotlineWorld(shanghai('2025-09-30T10:00:00'));
    const ticket = await filedAndRouted(world, { category: 'policy.enquiry', location: { cityCode: '370200' } });
    const triage = department('dept-12345');
    await actOnTicket(
      ticket.ticketId,
      { action: 'transfer', department: 'dept-housing', reason: '属住建' },
      triage,
      world.ports,
      context,
    );
    const housing = department('dept-housing');
    await actOnTicket(ticket.ticketId, { action: 'accept' }, housing, world.ports, context);
    await actOnTicket(ticket.ticketId, { action: 'resolve', reply: '已答复' }, housing, world.ports, context);
    world.setNow(shanghai('2025-10-20T00:00:00'));
    expect(await sweepTimers(world.queuing)).toEqual({ reminded: 0, breached: 0, requeued: 0 });
    expect(await world.tickets.dueTimers(world.ports.now(), 10)).toEqual([]);
  });
});
