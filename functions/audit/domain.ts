import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { auditEventSchema, type AuditEvent } from '../../shared/audit.ts';
import type { PublicJwk, Signer } from '../../shared/crypto/signer.ts';

export const sha256Hex = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

const pad = (value: number, width = 2) => String(value).padStart(width, '0');
export const hourPrefix = (time: Date) =>
  `${time.getUTCFullYear()}/${pad(time.getUTCMonth() + 1)}/${pad(time.getUTCDate())}/${pad(time.getUTCHours())}`;

/**
 * events/yyyy/mm/dd/HH/{region}-{sequence}.jsonl.gz, derived from the batch itself: the hour
 * and millisecond of its earliest event, then a hash of its event ids. A redelivered batch
 * maps to the same key, so it can never land twice or overwrite another batch's object.
 */
export function eventsObjectKey(region: string, events: readonly AuditEvent[]): string {
  const times = events.map((event) => Date.parse(event.time));
  const earliest = new Date(Math.min(...times));
  const ids = events.map((event) => event.eventId).sort();
  const batchHash = sha256Hex(ids.join('\n')).slice(0, 16);
  return `events/${hourPrefix(earliest)}/${region}-${pad(earliest.getTime(), 13)}-${batchHash}.jsonl.gz`;
}

/** gzip with a fixed header (no mtime), so the same events always give the same bytes. */
export const encodeEvents = (events: readonly AuditEvent[]): Buffer =>
  gzipSync(Buffer.from(events.map((event) => `${JSON.stringify(event)}\n`).join(''), 'utf8'));

export function decodeEvents(bytes: Buffer): AuditEvent[] {
  return gunzipSync(bytes)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => auditEventSchema.parse(JSON.parse(line)));
}

/** Sorted-key JSON (the RFC 8785 form for the strings, integers and objects a digest holds). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---- writer ----------------------------------------------------------------------------

export interface WriterPorts {
  /** Event ids already stored in some events object. */
  alreadyStored(eventIds: readonly string[]): Promise<Set<string>>;
  objectExists(key: string): Promise<boolean>;
  putObject(key: string, bytes: Buffer): Promise<void>;
  /** Marks the events as stored and the object as waiting for the next digest. */
  recordObject(object: SealedObject, eventIds: readonly string[]): Promise<void>;
}

export interface SealedObject {
  key: string;
  sha256: string;
  size: number;
  events: number;
}

/**
 * Stores a batch as one object. Events already stored (a redelivery after a crash between
 * the write and the queue delete) are dropped first; a batch that maps to an existing key
 * was written by that crashed attempt and is only recorded.
 */
export async function writeBatch(
  region: string,
  batch: readonly AuditEvent[],
  ports: WriterPorts,
): Promise<SealedObject | undefined> {
  const unique = [...new Map(batch.map((event) => [event.eventId, event])).values()];
  const stored = await ports.alreadyStored(unique.map((event) => event.eventId));
  const fresh = unique
    .filter((event) => !stored.has(event.eventId))
    .sort((a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId));
  if (fresh.length === 0) return undefined;
  const key = eventsObjectKey(region, fresh);
  const bytes = encodeEvents(fresh);
  if (!(await ports.objectExists(key))) await ports.putObject(key, bytes);
  const object = { key, sha256: sha256Hex(bytes), size: bytes.length, events: fresh.length };
  await ports.recordObject(
    object,
    fresh.map((event) => event.eventId),
  );
  return object;
}

// ---- digests ---------------------------------------------------------------------------

export interface DigestLink {
  key: string;
  sha256: string;
  signature: string;
}

export interface Genesis {
  type: 'genesis';
  version: 1;
  region: string;
  createdAt: string;
  publicKey: PublicJwk;
  alg: 'ES256';
  kid: string;
  signature: string;
}

export interface Digest {
  type: 'digest';
  version: 1;
  region: string;
  sequence: number;
  periodStart: string;
  periodEnd: string;
  objects: SealedObject[];
  previous: DigestLink;
  alg: 'ES256';
  kid: string;
  signature: string;
}

export interface ChainHead extends DigestLink {
  sequence: number;
  periodEnd: string;
}

export const genesisKey = (region: string) => `digests/${region}-genesis.json`;
export const digestKey = (region: string, sequence: number, periodEnd: Date) =>
  `digests/${hourPrefix(periodEnd)}/${region}-${pad(sequence, 8)}.json`;

/** The bytes a signature covers: the canonical document without its signature. */
export const signedBytes = (document: Genesis | Digest): Buffer => {
  const { signature: _signature, ...unsigned } = document;
  return Buffer.from(canonicalJson(unsigned), 'utf8');
};

export const serialize = (document: Genesis | Digest): Buffer =>
  Buffer.from(`${JSON.stringify(document, null, 2)}\n`, 'utf8');

export interface SealPorts {
  head(): Promise<ChainHead | undefined>;
  pending(): Promise<SealedObject[]>;
  getObject(key: string): Promise<Buffer | undefined>;
  putObject(key: string, bytes: Buffer): Promise<void>;
  /** Moves the head from `expected` to `next`; fails if another seal moved it first. */
  advanceHead(expected: ChainHead | undefined, next: ChainHead): Promise<void>;
  clearPending(keys: readonly string[]): Promise<void>;
  signer: Signer;
}

async function createGenesis(region: string, now: Date, ports: SealPorts): Promise<ChainHead> {
  const publicKey = await ports.signer.publicJwk();
  const unsigned: Genesis = {
    type: 'genesis',
    version: 1,
    region,
    createdAt: now.toISOString(),
    publicKey,
    alg: 'ES256',
    kid: publicKey.kid,
    signature: '',
  };
  const genesis = { ...unsigned, signature: (await ports.signer.sign(signedBytes(unsigned))).toString('base64url') };
  const key = genesisKey(region);
  const existing = await ports.getObject(key);
  const bytes = existing ?? serialize(genesis);
  if (!existing) await ports.putObject(key, bytes);
  const recorded = JSON.parse(bytes.toString('utf8')) as Genesis;
  const head = {
    key,
    sha256: sha256Hex(bytes),
    signature: recorded.signature,
    sequence: 0,
    periodEnd: recorded.createdAt,
  };
  await ports.advanceHead(undefined, head);
  return head;
}

/**
 * Closes the period: a digest listing every events object written since the last one, linked
 * to the previous digest by its hash and signature, signed with the audit key. The first seal
 * of a region records the genesis the chain starts from.
 */
export async function sealPeriod(
  region: string,
  now: Date,
  ports: SealPorts,
): Promise<{ key: string; digest: Digest }> {
  const head = (await ports.head()) ?? (await createGenesis(region, now, ports));
  // A seal that crashed after writing its digest left those objects pending: never list them twice.
  const previous =
    head.sequence > 0 ? (JSON.parse((await ports.getObject(head.key))!.toString('utf8')) as Digest) : undefined;
  const listed = new Set(previous?.objects.map((object) => object.key));
  const objects = (await ports.pending())
    .filter((object) => !listed.has(object.key))
    .sort((a, b) => a.key.localeCompare(b.key));
  const kid = await ports.signer.kid();
  const unsigned: Digest = {
    type: 'digest',
    version: 1,
    region,
    sequence: head.sequence + 1,
    periodStart: head.periodEnd,
    periodEnd: now.toISOString(),
    objects,
    previous: { key: head.key, sha256: head.sha256, signature: head.signature },
    alg: 'ES256',
    kid,
    signature: '',
  };
  const digest: Digest = {
    ...unsigned,
    signature: (await ports.signer.sign(signedBytes(unsigned))).toString('base64url'),
  };
  const key = digestKey(region, digest.sequence, now);
  const bytes = serialize(digest);
  await ports.putObject(key, bytes);
  await ports.advanceHead(head, {
    key,
    sha256: sha256Hex(bytes),
    signature: digest.signature,
    sequence: digest.sequence,
    periodEnd: digest.periodEnd,
  });
  await ports.clearPending(objects.map((object) => object.key).concat([...listed]));
  return { key, digest };
}
