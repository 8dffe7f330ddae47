import { decodeEvents } from '../../functions/audit/domain.ts';
import type { TrailReader } from '../../functions/audit/store.ts';
import type { AuditEvent } from '../../shared/audit.ts';
import { mapLimit } from './parallel.ts';
import { sealedObjectKeys } from './verify.ts';

export interface QueryFilter {
  from?: Date;
  to?: Date;
  actor?: string;
  action?: string;
  resource?: string;
}

const keyHour = (key: string): number | undefined => {
  const match = /^events\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//.exec(key);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4])) : undefined;
};

const matches = (event: AuditEvent, filter: QueryFilter) =>
  (!filter.from || Date.parse(event.time) >= filter.from.getTime()) &&
  (!filter.to || Date.parse(event.time) <= filter.to.getTime()) &&
  (!filter.actor || event.actor.id === filter.actor || event.actor.clientId === filter.actor) &&
  (!filter.action ||
    event.action === filter.action ||
    (filter.action.endsWith('*') && event.action.startsWith(filter.action.slice(0, -1)))) &&
  (!filter.resource ||
    event.resource === filter.resource ||
    (filter.resource.endsWith('*') && event.resource.startsWith(filter.resource.slice(0, -1))));

export interface QueriedEvent {
  event: AuditEvent;
  /** Whether a digest lists the object it came from; unsealed events show only with includeUnsealed. */
  sealed: boolean;
}

/**
 * Streams matching events object by object, each event once even if a crashed writer stored
 * it twice, filtered on each event's own time. An object is named by its earliest event, so
 * only `to` can skip objects by name: a redriven old event may share an object with fresh ones.
 * Events from objects no digest lists are left out unless includeUnsealed (then marked).
 */
export async function* queryTrail(
  reader: TrailReader,
  filter: QueryFilter = {},
  options: { includeUnsealed?: boolean; concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): AsyncGenerator<QueriedEvent> {
  const concurrency = options.concurrency ?? 16;
  const sealed = await sealedObjectKeys(reader);
  const keys = (await reader.list('events/'))
    .map((entry) => entry.key)
    .filter((key) => {
      const hour = keyHour(key);
      if (hour === undefined || (!options.includeUnsealed && !sealed.has(key))) return false;
      return !filter.to || hour <= filter.to.getTime();
    })
    // Sealed objects first: an event in both a sealed and an unsealed object shows as sealed.
    .sort((a, b) => Number(sealed.has(b)) - Number(sealed.has(a)) || a.localeCompare(b));
  const seen = new Set<string>();
  let done = 0;
  // Read ahead a window of objects in parallel, yield them in key order.
  for (let start = 0; start < keys.length; start += concurrency) {
    const window = keys.slice(start, start + concurrency);
    const objects = await mapLimit(window, concurrency, (key) => reader.read(key));
    for (const [i, bytes] of objects.entries()) {
      done += 1;
      options.onProgress?.(done, keys.length);
      if (!bytes) continue;
      let events: AuditEvent[];
      try {
        events = decodeEvents(bytes);
      } catch {
        continue; // a damaged object is verify's finding, not a query failure
      }
      for (const event of events) {
        if (seen.has(event.eventId) || !matches(event, filter)) continue;
        seen.add(event.eventId);
        yield { event, sealed: sealed.has(window[i]!) };
      }
    }
  }
}

/** Every matching event, sealed or not (no digests consulted for the choice): the raw stream tests read. */
export async function* queryEvents(
  reader: TrailReader,
  filter: QueryFilter = {},
  onProgress?: (done: number, total: number) => void,
): AsyncGenerator<AuditEvent> {
  for await (const { event } of queryTrail(reader, filter, { includeUnsealed: true, onProgress })) yield event;
}
