import type { AuditEvent, AuditInput } from '../../shared/audit.ts';
import type { ChannelConfig } from '../../functions/payments/channels/adapter.ts';
import { genericSignature } from '../../functions/payments/channels/generic.ts';
import type { SettledEvent } from '../../functions/payments/model.ts';
import type { PaymentsDeps } from '../../functions/payments/ports.ts';
import { createOrder } from '../../functions/payments/use-cases/orders.ts';
import { memoryPaymentsStore } from './memory-payments-store.ts';

export const GENERIC_SECRET = 'test-channel-secret-0123456789abcdef0123456789';
export const NOW = new Date('2026-11-30T02:00:00.000Z');

/** The payments use cases over the in-memory store, a counting FIFO publisher and an audit log. */
export function paymentsWorld(channels: Record<string, ChannelConfig> = {}) {
  const memory = memoryPaymentsStore();
  const published: SettledEvent[] = [];
  const deduplicated = new Set<string>();
  const audits: AuditEvent[] = [];
  let queueDown = false;
  /** Every send attempt that reached the queue, before FIFO deduplication. */
  let sends = 0;
  let now = NOW;
  const deps: PaymentsDeps & { channels: (c: string) => Promise<ChannelConfig | undefined> } = {
    store: memory.store,
    publish: async (event) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (queueDown) throw Object.assign(new Error('queue down'), { name: 'TimeoutError' });
      sends++;
      // FIFO deduplication by MessageDeduplicationId = orderId.
      if (deduplicated.has(event.orderId)) return;
      deduplicated.add(event.orderId);
      published.push(event);
    },
    audit: async (input: AuditInput) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (queueDown) throw Object.assign(new Error('audit queue down'), { name: 'TimeoutError' });
      const event = {
        ...input,
        eventId: input.eventId ?? String(audits.length),
        time: now.toISOString(),
        region: 'test',
      };
      if (!audits.some((known) => known.eventId === event.eventId)) audits.push(event as AuditEvent);
      return event as AuditEvent;
    },
    now: () => now,
    channels: async (channel) =>
      channels[channel] ?? (channel === 'bank' ? { channel, adapter: 'generic', secret: GENERIC_SECRET } : undefined),
  };
  return {
    ...memory,
    deps,
    published,
    audits,
    sends: () => sends,
    setNow(value: Date) {
      now = value;
    },
    setQueueDown(value: boolean) {
      queueDown = value;
    },
    async order(amountFen = 12_345, ttlMinutes = 60) {
      return createOrder(
        {
          itemCode: 'market-registration-fee',
          payer: { kind: 'citizen', id: '11010519491231002X', name: '张三' },
          amountFen,
          description: '企业登记费',
        },
        { clientId: 'demo-department', sub: 'demo-department', department: 'dept-market' },
        { maxAmountFen: 100_000_000, orderTtlMinutes: ttlMinutes },
        deps,
        'test',
      );
    },
  };
}

/** A generic-channel callback, signed as the channel signs it. */
export function genericCallback(
  body: Record<string, unknown>,
  options: { secret?: string; timestamp?: number; signature?: string | null } = {},
) {
  const raw = Buffer.from(JSON.stringify(body));
  const timestamp = String(options.timestamp ?? Math.floor(NOW.getTime() / 1000));
  const signature =
    options.signature === undefined
      ? `v1=${genericSignature(options.secret ?? GENERIC_SECRET, timestamp, raw)}`
      : options.signature;
  return {
    headers: {
      'content-type': 'application/json',
      'x-dgov-timestamp': timestamp,
      ...(signature === null ? {} : { 'x-dgov-signature': signature }),
    } as Record<string, string>,
    body: raw,
  };
}
