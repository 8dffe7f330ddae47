import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Ticket } from '../../../functions/hotline/model.ts';
import type { TicketStore } from '../../../functions/hotline/ports.ts';

let counter = 0;
/** A RECEIVED ticket with an id of the real shape, unique per call. */
export function sampleTicket(overrides: Partial<Ticket> = {}): Ticket {
  const id = `20261130-${(randomBytes(5).toString('hex') + (counter++).toString(36)).slice(-10)}`;
  return {
    ticketId: id,
    status: 'RECEIVED',
    category: 'housing.property',
    description: '电梯坏了',
    location: { cityCode: '370100', districtCode: '370102' },
    contact: { phone: '13912345678' },
    channel: 'app',
    urgency: 'normal',
    filer: { kind: 'citizen', id: `acc-${id}`, clientId: 'demo-app' },
    createdAt: new Date().toISOString(),
    version: 1,
    transfers: 0,
    extended: false,
    escalated: false,
    history: [{ at: new Date().toISOString(), action: 'file', by: 'demo-app', status: 'RECEIVED' }],
    ...overrides,
  };
}
const entry = (action: string) => ({ at: new Date().toISOString(), action, by: 'test', status: 'ROUTED' as const });

/**
 * What the hotline use cases rely on of the ticket store. The same cases run on the in-memory fake
 * (test/unit/hotline) and the DynamoDB adapter (test/integration/hotline).
 */
export function ticketStoreContract(name: string, makeStore: () => Promise<TicketStore>): void {
  describe(`${name} keeps the ticket store contract`, () => {
    let store: TicketStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('creates a ticket once and reads it back', async () => {
      const ticket = sampleTicket();
      expect(await store.create(ticket)).toBe(true);
      expect(await store.create(ticket)).toBe(false);
      expect(await store.get(ticket.ticketId)).toEqual(ticket);
      await store.remove(ticket.ticketId);
      expect(await store.get(ticket.ticketId)).toBeUndefined();
    });

    it('creates a ticket with its first timer: due at that time, not before, and the ticket reads the same', async () => {
      const ticket = sampleTicket();
      const checkAt = new Date(Date.now() + 120_000);
      expect(await store.create(ticket, checkAt.toISOString())).toBe(true);
      expect(await store.get(ticket.ticketId)).toEqual(ticket);
      const dueAt = async (at: Date) => (await store.dueTimers(at, 1000)).map((t) => t.ticketId);
      expect(await dueAt(new Date(checkAt.getTime() - 1))).not.toContain(ticket.ticketId);
      expect(await dueAt(checkAt)).toContain(ticket.ticketId);
    });

    it('applies a transition only at the expected version, appending to the history', async () => {
      const ticket = sampleTicket();
      await store.create(ticket);
      const changes = { status: 'ROUTED' as const, department: 'dept-housing' };
      const both = await Promise.all([
        store.transition(ticket.ticketId, 1, changes, entry('route')),
        store.transition(ticket.ticketId, 1, changes, entry('route')),
      ]);
      expect(both.filter(Boolean)).toHaveLength(1);
      const after = await store.get(ticket.ticketId);
      expect(after).toMatchObject({ status: 'ROUTED', department: 'dept-housing', version: 2 });
      expect(after!.history.map((item) => item.action)).toEqual(['file', 'route']);
    });

    it("lists a department's tickets by status and SLA state, and the supervisor sees escalations", async () => {
      const department = `dept-t${randomBytes(3).toString('hex')}`;
      const routed = sampleTicket();
      const breached = sampleTicket();
      for (const ticket of [routed, breached]) {
        await store.create(ticket);
        await store.transition(
          ticket.ticketId,
          1,
          { status: 'ROUTED', department, nextTimerAt: '2020-01-01T00:00:00.000Z' },
          entry('route'),
        );
      }
      expect(
        await store.markTimer(
          breached.ticketId,
          'breachedAt',
          { breachedAt: new Date().toISOString(), escalated: true, nextTimerAt: null },
          entry('breach'),
        ),
      ).toBe(true);
      expect(
        await store.markTimer(
          breached.ticketId,
          'breachedAt',
          { breachedAt: new Date().toISOString() },
          entry('breach'),
        ),
      ).toBe(false);
      expect((await store.byDepartment(department, {})).map((t) => t.ticketId).sort()).toEqual(
        [routed.ticketId, breached.ticketId].sort(),
      );
      expect((await store.byDepartment(department, { sla: 'breached' })).map((t) => t.ticketId)).toEqual([
        breached.ticketId,
      ]);
      expect(
        (await store.byDepartment(department, { sla: 'on_time', status: 'ROUTED' })).map((t) => t.ticketId),
      ).toEqual([routed.ticketId]);
      expect((await store.byDepartment('dept-supervisor', {})).map((t) => t.ticketId)).toContain(breached.ticketId);
      const due = (await store.dueTimers(new Date(), 1000)).map((t) => t.ticketId);
      expect(due).toContain(routed.ticketId);
      expect(due).not.toContain(breached.ticketId);
      await store.setNextTimer(routed.ticketId, undefined);
      expect((await store.dueTimers(new Date(), 1000)).map((t) => t.ticketId)).not.toContain(routed.ticketId);
    });

    it('sets a timer while the ticket is at the status and version read, and not once it has moved or is gone', async () => {
      const ticket = sampleTicket();
      const checkAt = '2020-01-01T00:02:00.000Z';
      await store.create(ticket, '2020-01-01T00:00:00.000Z');
      expect(await store.setNextTimer(ticket.ticketId, checkAt, { status: 'RECEIVED', version: 1 })).toBe(true);
      const due = async () => (await store.dueTimers(new Date('2020-01-01T00:01:00Z'), 1000)).map((t) => t.ticketId);
      expect(await due()).not.toContain(ticket.ticketId);
      await store.transition(
        ticket.ticketId,
        1,
        { status: 'ROUTED', nextTimerAt: '2020-01-01T00:00:30.000Z' },
        entry('route'),
      );
      expect(await store.setNextTimer(ticket.ticketId, checkAt, { status: 'RECEIVED', version: 1 })).toBe(false);
      expect(await store.setNextTimer(ticket.ticketId, undefined, { status: 'ROUTED', version: 1 })).toBe(false);
      expect(await due()).toContain(ticket.ticketId);
      await store.remove(ticket.ticketId);
      expect(await store.setNextTimer(ticket.ticketId, checkAt)).toBe(false);
      expect(await store.get(ticket.ticketId)).toBeUndefined();
    });

    it('removes a ticket while it has the status and version read, and not once it has moved on', async () => {
      const ticket = sampleTicket();
      await store.create(ticket);
      await store.transition(ticket.ticketId, 1, {}, entry('file'));
      expect(await store.remove(ticket.ticketId, { status: 'RECEIVED', version: 1 })).toBe(false);
      expect(await store.get(ticket.ticketId)).toMatchObject({ version: 2 });
      expect(await store.remove(ticket.ticketId, { status: 'RECEIVED', version: 2 })).toBe(true);
      expect(await store.get(ticket.ticketId)).toBeUndefined();
      expect(await store.remove(ticket.ticketId)).toBe(false);
    });

    it('marks a timer once, and never on a ticket that is no longer open', async () => {
      const ticket = sampleTicket({ status: 'CLOSED' });
      await store.create(ticket);
      expect(
        await store.markTimer(
          ticket.ticketId,
          'reminded50At',
          { reminded50At: new Date().toISOString() },
          entry('remind'),
        ),
      ).toBe(false);
    });

    it('claims a duplicate key for one ticket, takes it over only from the named holder', async () => {
      const key = `13912345678|housing.property|${randomBytes(4).toString('hex')}`;
      const now = new Date();
      expect(await store.claimDuplicateKey(key, 'a', now)).toBe('a');
      expect(await store.claimDuplicateKey(key, 'b', now)).toBe('a');
      expect(await store.claimDuplicateKey(key, 'a', now)).toBe('a');
      expect(await store.claimDuplicateKey(key, 'b', now, 'x')).toBe('a');
      expect(await store.claimDuplicateKey(key, 'b', now, 'a')).toBe('b');
      // After 24 h the claim has lapsed.
      expect(await store.claimDuplicateKey(key, 'c', new Date(now.getTime() + 24 * 3600_000 + 2000))).toBe('c');
    });

    it('links a duplicate once', async () => {
      const ticket = sampleTicket();
      await store.create(ticket);
      expect(await store.linkDuplicate(ticket.ticketId, 'dup-1', entry('link'))).toBe(true);
      expect(await store.linkDuplicate(ticket.ticketId, 'dup-1', entry('link'))).toBe(false);
      expect(await store.linkDuplicate(ticket.ticketId, 'dup-2', entry('link'))).toBe(true);
      expect((await store.get(ticket.ticketId))!.history.filter((item) => item.action === 'link')).toHaveLength(2);
    });

    it("lists a filer's tickets, newest first", async () => {
      const filer = { kind: 'client' as const, id: `c-${randomBytes(4).toString('hex')}`, clientId: 'c' };
      const older = sampleTicket({ filer, createdAt: '2026-11-01T00:00:00.000Z' });
      const newer = sampleTicket({ filer, createdAt: '2026-11-02T00:00:00.000Z' });
      await store.create(older);
      await store.create(newer);
      expect((await store.byFiler(`client#${filer.id}`, 10)).map((t) => t.ticketId)).toEqual([
        newer.ticketId,
        older.ticketId,
      ]);
    });
  });
}
