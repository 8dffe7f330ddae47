import type { AuditEvent, AuditInput } from '../../shared/audit.ts';
import { DependencyUnavailableError } from '../../shared/errors.ts';
import type { Actor } from '../../functions/hotline/model.ts';
import type { HotlinePorts } from '../../functions/hotline/ports.ts';
import { loadRules } from '../../functions/hotline/rules-config.ts';
import { DEFAULT_SLA } from '../../functions/hotline/sla.ts';
import type { NewTicket } from '../../functions/hotline/use-cases/intake.ts';
import { MemoryTicketStore } from './memory-hotline-store.ts';

/** The hotline's use cases on the in-memory store, a fake clock, a recording audit trail and queue. */
export function hotlineWorld(start = new Date('2025-09-30T02:00:00Z')) {
  let now = start;
  const audit: AuditEvent[] = [];
  const queued: string[] = [];
  const metrics: string[] = [];
  const faults = { audit: false, queue: false };
  const tickets = new MemoryTicketStore();
  const ports: HotlinePorts = {
    tickets,
    now: () => now,
    countMetric: (name) => metrics.push(name),
    audit: async (input: AuditInput) => {
      if (faults.audit) throw new DependencyUnavailableError('audit queue');
      const event = {
        ...input,
        eventId: input.eventId ?? `e${audit.length}`,
        time: now.toISOString(),
        region: 'cn-north-1',
      } as AuditEvent;
      audit.push(event);
      return event;
    },
  };
  const queue = {
    send: async (ticketId: string) => {
      if (faults.queue) throw new Error('queue down');
      queued.push(ticketId);
    },
  };
  return {
    ports,
    routing: { ...ports, rules: loadRules(), sla: DEFAULT_SLA },
    /** Ports for intake and the sweeper, which both queue for routing. */
    queuing: { ...ports, queue },
    queue,
    tickets,
    audit,
    queued,
    metrics,
    faults,
    setNow: (at: Date | string) => {
      now = new Date(at);
    },
  };
}

export const citizen: Actor = { kind: 'citizen', id: 'acc-1', clientId: 'demo-portal' };
export const department = (id: string): Actor => ({
  kind: 'client',
  id: `demo-${id}`,
  clientId: `demo-${id}`,
  department: id,
});
export const context = { requestId: 'req-1' };
export const newTicket = (overrides: Partial<NewTicket> = {}): NewTicket => ({
  category: 'housing.property',
  description: '楼道灯坏了',
  location: { cityCode: '370200', districtCode: '370202' },
  contact: { phone: '13912345678' },
  channel: 'app',
  ...overrides,
});
