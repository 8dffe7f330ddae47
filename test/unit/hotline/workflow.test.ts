import { describe, expect, it } from 'vitest';
import type { Ticket } from '../../../functions/hotline/model.ts';
import { transition } from '../../../functions/hotline/workflow.ts';
import { ConflictError, ForbiddenError } from '../../../shared/errors.ts';
import { sampleTicket } from '../../contract/hotline/store-contract.ts';
import { department } from '../../support/hotline-world.ts';

const now = new Date('2026-11-30T02:00:00Z');
const housing = department('dept-housing');
const routed = (overrides: Partial<Ticket> = {}) =>
  sampleTicket({ status: 'ROUTED', department: 'dept-housing', slaDueAt: '2026-12-03T16:00:00.000Z', ...overrides });
const filer = (ticket: Ticket) => ticket.filer;

describe('the ticket state machine', () => {
  it('accept → resolve → close, each by whose turn it is', () => {
    const ticket = routed();
    expect(transition(ticket, { action: 'accept' }, housing, now).status).toBe('ACCEPTED');
    const accepted = { ...ticket, status: 'ACCEPTED' as const };
    expect(transition(accepted, { action: 'resolve', reply: '已修复' }, housing, now)).toMatchObject({
      status: 'RESOLVED',
      set: { reply: '已修复' },
    });
    const resolved = { ...accepted, status: 'RESOLVED' as const, resolvedAt: now.toISOString() };
    expect(transition(resolved, { action: 'close', rating: 5 }, filer(resolved), now)).toMatchObject({
      status: 'CLOSED',
      set: { rating: 5 },
    });
  });

  it('another department is refused (403) whatever the state; an illegal move is a 409', () => {
    expect(() => transition(routed(), { action: 'accept' }, department('dept-transport'), now)).toThrow(ForbiddenError);
    expect(() =>
      transition(routed({ status: 'CLOSED' }), { action: 'accept' }, department('dept-transport'), now),
    ).toThrow(ForbiddenError);
    expect(() => transition(routed(), { action: 'resolve', reply: 'x' }, housing, now)).toThrow(ConflictError);
    expect(() => transition(routed({ status: 'CLOSED' }), { action: 'accept' }, housing, now)).toThrow(ConflictError);
    // Only the filer closes or reopens; a department cannot close its own ticket.
    expect(() => transition(routed({ status: 'RESOLVED' }), { action: 'close', rating: 5 }, housing, now)).toThrow(
      ForbiddenError,
    );
    const open = routed();
    expect(() => transition(open, { action: 'close', rating: 5 }, filer(open), now)).toThrow(ConflictError);
  });

  it('the third transfer goes to the supervisor, escalated', () => {
    const first = transition(
      routed(),
      { action: 'transfer', department: 'dept-transport', reason: '不属本部门' },
      housing,
      now,
    );
    expect(first.set).toMatchObject({ department: 'dept-transport', transfers: 1 });
    const third = transition(
      routed({ transfers: 2 }),
      { action: 'transfer', department: 'dept-health', reason: '再转' },
      housing,
      now,
    );
    expect(third.set).toMatchObject({ department: 'dept-supervisor', transfers: 3, escalated: true });
    expect(third.entry.note).toMatch(/supervisor/);
    expect(() =>
      transition(routed(), { action: 'transfer', department: 'dept-housing', reason: 'x' }, housing, now),
    ).toThrow(ConflictError);
  });

  it('extends once, with a reason, and not after a breach', () => {
    const accepted = routed({ status: 'ACCEPTED' });
    const extended = transition(accepted, { action: 'extend', days: 2, reason: '需现场勘查' }, housing, now);
    expect(extended.set).toMatchObject({ extended: true, slaDueAt: '2026-12-07T16:00:00.000Z' });
    expect(() =>
      transition({ ...accepted, extended: true }, { action: 'extend', days: 2, reason: 'again' }, housing, now),
    ).toThrow(ConflictError);
    expect(() =>
      transition(
        { ...accepted, breachedAt: now.toISOString() },
        { action: 'extend', days: 2, reason: 'late' },
        housing,
        now,
      ),
    ).toThrow(ConflictError);
  });

  it('the filer reopens within 7 days of the resolution, not after', () => {
    const resolved = routed({ status: 'RESOLVED', resolvedAt: '2026-11-24T02:00:00.000Z' });
    expect(transition(resolved, { action: 'reopen', reason: '没修好' }, filer(resolved), now).status).toBe('REOPENED');
    const old = { ...resolved, resolvedAt: '2026-11-22T01:00:00.000Z' };
    expect(() => transition(old, { action: 'reopen', reason: '没修好' }, filer(old), now)).toThrow(ConflictError);
  });
});

describe('who sees the contact', () => {
  it('whole for the filer and the assigned department; masked for an assisting department', async () => {
    const { readAccess } = await import('../../../functions/hotline/use-cases/actions.ts');
    const { ticketView } = await import('../../../functions/hotline/views.ts');
    const ticket = routed({ assisting: ['dept-police'], contact: { phone: '13912345678', name: '王小五' } });
    expect(readAccess(ticket, ticket.filer).reveal).toBe(true);
    expect(readAccess(ticket, housing).reveal).toBe(true);
    const assisting = readAccess(ticket, department('dept-police'));
    expect(assisting.reveal).toBe(false);
    expect(ticketView(ticket, assisting.reveal).contact).toEqual({ phone: '139****5678', name: '王**' });
    expect(() => readAccess(ticket, department('dept-health'))).toThrow(ForbiddenError);
    expect(() => readAccess({ ...ticket, escalated: false }, department('dept-supervisor'))).toThrow(ForbiddenError);
    expect(readAccess({ ...ticket, escalated: true }, department('dept-supervisor')).reveal).toBe(false);
  });
});
