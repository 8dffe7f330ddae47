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

// ---- events objects ----------------------------------------------------------------

export interface SealedObject {
  key: string;
  sha256: string;
  size: number;
  events: number;
}

export interface PendingObject extends SealedObject {
  /** When the writer announced it (ISO time): an announced object that never appeared is dropped later. */
  recordedAt: string;
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
  /** A key rotation: the digests after this one are signed with this key (this one, with the previous). */
  nextKey?: PublicJwk;
  alg: 'ES256';
  kid: string;
  signature: string;
}

export interface ChainHead extends DigestLink {
  sequence: number;
  periodEnd: string;
  /** The key the next digest must be signed with (absent in heads recorded before rotation existed). */
  kid?: string;
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

/** The chain cannot be extended as asked; the seal stops, says why, and names the object. */
export class AuditChainError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'AuditChainError';
  }
}

/** An announced object that has not appeared after this long was never written (its writer crashed). */
export const ABANDONED_OBJECT_MS = 15 * 60_000;

export interface SealPorts {
  head(): Promise<ChainHead | undefined>;
  pending(): Promise<PendingObject[]>;
  getObject(key: string): Promise<Buffer | undefined>;
  objectExists(key: string): Promise<boolean>;
  putObject(key: string, bytes: Buffer): Promise<void>;
  /** Moves the head from `expected` to `next`; fails if another seal moved it first. */
  advanceHead(expected: ChainHead | undefined, next: ChainHead): Promise<void>;
  /** Of these keys, those a digest listed lately (remembered a day: far longer than a writer runs). */
  sealedBefore(keys: readonly string[]): Promise<Set<string>>;
  /** Remembers that a digest listed these keys. */
  markSealed(keys: readonly string[]): Promise<void>;
  clearPending(keys: readonly string[]): Promise<void>;
  signer: Signer;
}

const parseJson = <T>(bytes: Buffer): T | undefined => {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return undefined;
  }
};

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
  const recorded = parseJson<Genesis>(bytes);
  if (recorded?.type !== 'genesis' || typeof recorded.kid !== 'string')
    throw new AuditChainError(`the genesis ${key} in the bucket cannot be read as a genesis`, key);
  const head = {
    key,
    sha256: sha256Hex(bytes),
    signature: recorded.signature,
    sequence: 0,
    periodEnd: recorded.createdAt,
    kid: recorded.kid,
  };
  await ports.advanceHead(undefined, head);
  return head;
}

/** The head digest as stored, checked against the head the control table recorded. */
async function readHead(head: ChainHead, ports: SealPorts): Promise<Genesis | Digest> {
  const where = `the head of the chain (#${head.sequence}, recorded in the control table) ${head.key}`;
  let bytes: Buffer | undefined;
  try {
    bytes = await ports.getObject(head.key);
  } catch (error) {
    throw new AuditChainError(`${where} cannot be read: ${(error as Error).message}`, head.key);
  }
  if (!bytes) throw new AuditChainError(`${where} is missing from the bucket`, head.key);
  if (sha256Hex(bytes) !== head.sha256)
    throw new AuditChainError(`${where} differs from the bytes the seal wrote (SHA-256)`, head.key);
  const document = parseJson<Genesis | Digest>(bytes);
  if (!document || (document.type !== 'digest' && document.type !== 'genesis'))
    throw new AuditChainError(`${where} cannot be read as a digest`, head.key);
  return document;
}

/** The key the chain says signs its next digest: the rotation's new key, else the head's own. */
const chainKid = (head: ChainHead, document: Genesis | Digest) =>
  head.kid ?? (document.type === 'digest' && document.nextKey ? document.nextKey.kid : document.kid);

/** Objects announced and present are sealed; announced long ago and absent were abandoned. */
async function sealable(pending: PendingObject[], now: Date, ports: SealPorts) {
  const present: SealedObject[] = [];
  const abandoned: string[] = [];
  // 32 HEADs at a time: a busy period can hold thousands of objects.
  for (let start = 0; start < pending.length; start += 32) {
    const slice = pending.slice(start, start + 32);
    const exists = await Promise.all(slice.map((object) => ports.objectExists(object.key)));
    slice.forEach(({ recordedAt, ...object }, i) => {
      if (exists[i]) present.push(object);
      else if (now.getTime() - Date.parse(recordedAt ?? '1970-01-01T00:00:00Z') > ABANDONED_OBJECT_MS)
        abandoned.push(object.key);
    });
  }
  return { present, abandoned };
}

export interface SealOptions {
  /** Rotate: this digest (signed with the current key) names the key that signs every digest after it. */
  rotateTo?: PublicJwk;
}

/**
 * Closes the period: a digest listing every events object written since the last one, linked
 * to the previous digest by its hash and signature, signed with the audit key. The first seal
 * of a region records the genesis the chain starts from. It refuses, naming the object, when
 * the head it would extend is missing or altered, or its key is not the one the chain names.
 */
export async function sealPeriod(
  region: string,
  now: Date,
  ports: SealPorts,
  options: SealOptions = {},
): Promise<{ key: string; digest: Digest }> {
  const head = (await ports.head()) ?? (await createGenesis(region, now, ports));
  const document = await readHead(head, ports);
  const kid = await ports.signer.kid();
  const expectedKid = chainKid(head, document);
  if (kid !== expectedKid)
    throw new AuditChainError(
      `the ${region} chain is signed with key ${expectedKid} (${head.key}); this seal holds key ${kid}, which the chain does not name: rotate with the current key first`,
      head.key,
    );
  // A seal that crashed after writing its digest left those objects pending; a writer that stalled
  // before announcing an object another writer had written and a digest listed announces it again:
  // never list them twice.
  const listed = new Set(document.type === 'digest' ? document.objects.map((object) => object.key) : []);
  const candidates = (await ports.pending()).filter((object) => !listed.has(object.key));
  const sealedBefore = await ports.sealedBefore(candidates.map((object) => object.key));
  const { present, abandoned } = await sealable(
    candidates.filter((object) => !sealedBefore.has(object.key)),
    now,
    ports,
  );
  const objects = present.sort((a, b) => a.key.localeCompare(b.key));
  const unsigned: Digest = {
    type: 'digest',
    version: 1,
    region,
    sequence: head.sequence + 1,
    periodStart: head.periodEnd,
    periodEnd: now.toISOString(),
    objects,
    previous: { key: head.key, sha256: head.sha256, signature: head.signature },
    ...(options.rotateTo ? { nextKey: options.rotateTo } : {}),
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
    kid: options.rotateTo?.kid ?? kid,
  });
  const sealed = objects.map((object) => object.key).concat([...listed]);
  await ports.markSealed(sealed);
  await ports.clearPending(sealed.concat(abandoned, [...sealedBefore]));
  return { key, digest };
}
