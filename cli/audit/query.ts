import { decodeEvents } from '../../functions/audit/domain.ts';
import type { TrailReader } from '../../functions/audit/store.ts';
import type { AuditEvent } from '../../shared/audit.ts';

export interface QueryFilter {
  from?: Date;
  to?: Date;
  actor?: string;
  action?: string;
  resource?: string;
}

const HOUR = 3_600_000;
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

/**
 * Streams matching events object by object, each event once even if a crashed writer stored
 * it twice. Objects are named by their earliest event, so a window skips whole hours.
 */
export async function* queryEvents(
  reader: TrailReader,
  filter: QueryFilter = {},
  onProgress?: (done: number, total: number) => void,
): AsyncGenerator<AuditEvent> {
  const keys = (await reader.list('events/'))
    .map((entry) => entry.key)
    .filter((key) => {
      const hour = keyHour(key);
      if (hour === undefined) return false;
      // An object's events start in its hour and may run later, never earlier.
      return (!filter.to || hour <= filter.to.getTime()) && (!filter.from || hour + 24 * HOUR >= filter.from.getTime());
    })
    .sort();
  const seen = new Set<string>();
  let done = 0;
  for (const key of keys) {
    const bytes = await reader.read(key);
    onProgress?.(++done, keys.length);
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
      yield event;
    }
  }
}
