import type { AuditEvent } from '../../shared/audit.ts';
import { encodeEvents, eventsObjectKey, sha256Hex, type PendingObject, type SealedObject } from './domain.ts';

/** Which events object an event was assigned to, when, and until when its writer may still be writing it (epoch ms). */
export interface Claim {
  objectKey: string;
  /** Absent on claims made before claims had a time. */
  claimedAt?: number;
  /** Absent on claims made without one: then claimedAt + CLAIM_LEASE_MS. */
  leaseUntil?: number;
}

/** An event to claim for an object, with the claim the writer saw on it (none: it was unclaimed). */
export interface ClaimRequest {
  eventId: string;
  seen?: Claim;
}

export interface WriterPorts {
  claims(eventIds: readonly string[]): Promise<Map<string, Claim>>;
  objectExists(key: string): Promise<boolean>;
  /** The object as stored; undefined when there is none. */
  readObject(key: string): Promise<Buffer | undefined>;
  /**
   * Marks the object as waiting for the next digest, before it exists: a digest lists it once it does,
   * with this SHA-256. False when the key is announced already with another SHA-256 (the same event ids,
   * another body): nothing is recorded, and those bytes must not be written.
   */
  recordPending(object: PendingObject): Promise<boolean>;
  /**
   * Assigns every event to the object at once, each only if its claim is still the one the writer
   * saw (or is this object already). False when another writer changed one first: nothing is claimed.
   */
  claimEvents(objectKey: string, requests: readonly ClaimRequest[], claim: ClaimTimes): Promise<boolean>;
  /** Puts the object only where none is (If-None-Match); one that is there with other bytes is an error. */
  putObject(key: string, bytes: Buffer): Promise<void>;
}

export type ClaimTimes = Required<Omit<Claim, 'objectKey'>>;

/**
 * How long a claim on an object that does not exist yet belongs to the writer that made it, when
 * the writer does not know its own deadline. The writer's Lambda times out after 30 s
 * (infra/capabilities/audit/data.ts): a claim older than twice that was made by a writer that is
 * gone, and its object will never be written by it.
 */
export const CLAIM_LEASE_MS = 60_000;
/**
 * How far apart two writers' clocks may be: a claim is taken over only this long after its lease ended
 * by the clock of the writer taking it over, which may run ahead of the claimer's. The visibility
 * timeout (3 minutes) is longer than a lease (at most 40 s) and this together, so a crashed writer's
 * messages are still taken over the first time they come back.
 */
export const CLOCK_SKEW_MS = 30_000;
/** One claim is one DynamoDB transaction, which holds at most 100 items. */
export const MAX_EVENTS_PER_OBJECT = 100;
const CLAIM_ATTEMPTS = 5;

export interface WriteOptions {
  now?: () => Date;
  /** When this writer is certainly gone (its invocation's deadline): until then, its claims are its own. */
  leaseUntil?: number;
}

export interface BatchWritten {
  objects: SealedObject[];
  /** Events another writer has claimed and is storing right now: retry them after the lease. */
  deferred: string[];
}

interface Plan {
  fresh: AuditEvent[];
  /** Objects claimed but not written yet whose events are all in this batch: written again, the same bytes. */
  unfinished: AuditEvent[][];
  deferred: string[];
  claims: Map<string, Claim>;
}

/** Until when a claim's writer may still be writing its object, by the claimer's clock. */
const leaseOf = (claim: Claim) => claim.leaseUntil ?? (claim.claimedAt ?? 0) + CLAIM_LEASE_MS;

const byTimeThenId = (a: AuditEvent, b: AuditEvent) =>
  a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId);

/** The region whose writer named an events object (events/…/{region}-{ms}-{hash}.jsonl.gz). */
const regionOfKey = (key: string) => /^events\/(?:\d+\/){4}(.+)-\d{13}-[0-9a-f]{16}\.jsonl\.gz$/.exec(key)?.[1];
const fromOtherRegion = (key: string, region: string) => {
  const owner = regionOfKey(key);
  return owner !== undefined && owner !== region;
};

/** Sorts a batch's events into stored (dropped), claimed by an object not written yet, and fresh. */
async function plan(region: string, events: readonly AuditEvent[], ports: WriterPorts, now: number): Promise<Plan> {
  const claims = await ports.claims(events.map((event) => event.eventId));
  const written = new Map<string, boolean>();
  // An event that reached both regions' queues (the home send timed out after it landed, then failed
  // over) is claimed in the global control table by the other region's writer, for an object in that
  // region's bucket: it stores it (its own queue brings it back until it does), not this one.
  for (const { objectKey } of claims.values())
    if (!written.has(objectKey))
      written.set(objectKey, fromOtherRegion(objectKey, region) || (await ports.objectExists(objectKey)));
  const fresh: AuditEvent[] = [];
  const leased = new Map<string, AuditEvent[]>();
  for (const event of events) {
    const claim = claims.get(event.eventId);
    if (!claim) fresh.push(event);
    else if (written.get(claim.objectKey)) continue;
    else if (now < leaseOf(claim) + CLOCK_SKEW_MS)
      leased.set(claim.objectKey, [...(leased.get(claim.objectKey) ?? []), event]);
    else fresh.push(event); // its writer crashed before the object was written
  }
  // An object's key names its events: holding all of them, this batch writes the very object its
  // claimer would (the same batch back after a failure, or delivered twice). Else the claimer's.
  const unfinished = [...leased].filter(([key, group]) => eventsObjectKey(region, group) === key).map(([, g]) => g);
  const deferred = [...leased]
    .filter(([key, group]) => eventsObjectKey(region, group) !== key)
    .flatMap(([, group]) => group.map((event) => event.eventId));
  return { fresh: fresh.sort(byTimeThenId), unfinished: unfinished.map((g) => g.sort(byTimeThenId)), deferred, claims };
}

function objectOf(region: string, events: readonly AuditEvent[]) {
  const bytes = encodeEvents(events);
  const object = {
    key: eventsObjectKey(region, events),
    sha256: sha256Hex(bytes),
    size: bytes.length,
    events: events.length,
  };
  return { object, bytes };
}

/**
 * Writes the object unless it is there; there with other bytes, it was not written by a writer (each
 * announces its bytes first, and only one SHA-256 per key is announced): the events are not taken as
 * stored, and the digest will record the announced SHA-256, which verify finds modified. Just before
 * the write its events' claims are read again: one taken over meanwhile (the lease looked over to a
 * writer whose clock runs further ahead than CLOCK_SKEW_MS) means another object holds it. False then.
 */
async function putUnlessWritten(ports: WriterPorts, key: string, bytes: Buffer, eventIds: readonly string[]) {
  const stored = await ports.readObject(key);
  if (stored) {
    if (stored.equals(bytes)) return true;
    throw new Error(`${key} is in the bucket with other bytes than its writer announced: not written by a writer`);
  }
  const claims = await ports.claims(eventIds);
  if (eventIds.some((id) => claims.get(id)?.objectKey !== key)) return false;
  await ports.putObject(key, bytes);
  return true;
}

/**
 * Announces an object, claims its events for it (all or none, each only as the writer saw it, until
 * this writer's deadline) and writes it: the order in which every crash and every race converges on
 * one sealed copy of each event. Answers whether it was written, or why not.
 */
async function writeObject(
  region: string,
  events: readonly AuditEvent[],
  claims: Map<string, Claim>,
  ports: WriterPorts,
  { now = () => new Date(), leaseUntil }: WriteOptions,
): Promise<{ object: SealedObject } | { lost: 'announced' | 'claims' }> {
  const { object, bytes } = objectOf(region, events);
  // The key is announced with other bytes (an event with another body): its announcer writes it.
  if (!(await ports.recordPending({ ...object, recordedAt: now().toISOString() }))) return { lost: 'announced' };
  const claimedAt = now().getTime();
  // Completing another writer's object, the claim is taken for this writer too, never shortened: until
  // it is written, no writer may take its events over.
  const seenLeases = events.flatMap((event) => {
    const seen = claims.get(event.eventId);
    return seen ? [leaseOf(seen)] : [];
  });
  const until = Math.max(leaseUntil ?? claimedAt + CLAIM_LEASE_MS, ...seenLeases);
  const requests = events.map((event) => ({ eventId: event.eventId, seen: claims.get(event.eventId) }));
  // A pending record whose claim is lost stays: another writer may have announced the same key
  // (the same events), and the seal drops an announced object that never appears.
  if (!(await ports.claimEvents(object.key, requests, { claimedAt, leaseUntil: until }))) return { lost: 'claims' };
  const ids = events.map((event) => event.eventId);
  return (await putUnlessWritten(ports, object.key, bytes, ids)) ? { object } : { lost: 'claims' };
}

/**
 * Stores up to 100 events: objects this batch completes for a writer that claimed them, then one
 * object of the fresh events. Losing a claim to another writer re-plans.
 */
async function writeObjects(
  region: string,
  events: readonly AuditEvent[],
  ports: WriterPorts,
  options: WriteOptions,
): Promise<BatchWritten> {
  const now = options.now ?? (() => new Date());
  const objects = new Map<string, SealedObject>();
  for (let attempt = 1; ; attempt++) {
    const { fresh, unfinished, deferred, claims } = await plan(region, events, ports, now().getTime());
    let replan = false;
    for (const group of [...unfinished, ...(fresh.length > 0 ? [fresh] : [])]) {
      const written = await writeObject(region, group, claims, ports, options);
      if ('object' in written) objects.set(written.object.key, written.object);
      else if (written.lost === 'announced') deferred.push(...group.map((event) => event.eventId));
      else replan = true;
    }
    if (!replan) return { objects: [...objects.values()], deferred };
    if (attempt === CLAIM_ATTEMPTS)
      throw new Error(`the claims on ${events.length} events kept changing under ${attempt} attempts`);
  }
}

/** Stores a batch in objects of at most 100 events; an event stored already is dropped. */
export async function writeBatch(
  region: string,
  batch: readonly AuditEvent[],
  ports: WriterPorts,
  options: WriteOptions = {},
): Promise<BatchWritten> {
  const unique = [...new Map(batch.map((event) => [event.eventId, event])).values()];
  const written: BatchWritten = { objects: [], deferred: [] };
  for (let start = 0; start < unique.length; start += MAX_EVENTS_PER_OBJECT) {
    const { objects, deferred } = await writeObjects(
      region,
      unique.slice(start, start + MAX_EVENTS_PER_OBJECT),
      ports,
      options,
    );
    written.objects.push(...objects);
    written.deferred.push(...deferred);
  }
  return written;
}
