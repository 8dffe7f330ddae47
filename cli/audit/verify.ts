import { genesisKey, sha256Hex, signedBytes, type Digest, type Genesis } from '../../functions/audit/domain.ts';
import type { TrailReader } from '../../functions/audit/store.ts';
import { verifyEs256, type PublicJwk } from '../../shared/crypto/signer.ts';

export type FindingKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'broken-link'
  | 'bad-signature'
  | 'missing-digest'
  | 'untrusted-key'
  | 'unreadable';
export interface Finding {
  kind: FindingKind;
  key: string;
  detail: string;
}

export interface RegionSummary {
  region: string;
  digests: number;
  objects: number;
  events: number;
  firstSealedAt?: string;
  lastSealedAt?: string;
  kid?: string;
}

export interface VerifyReport {
  ok: boolean;
  regions: RegionSummary[];
  findings: Finding[];
  /** Objects written after the last digest (or within the grace period): sealed by the next one. */
  pending: string[];
  bytesHashed: number;
}

export interface VerifyOptions {
  from?: Date;
  to?: Date;
  /** Keys the auditor trusts; when given, a chain signed with any other key is reported. */
  trustedKeys?: PublicJwk[];
  /** Objects this much older than the last digest and listed in none were inserted (default 5 min). */
  graceMs?: number;
  onProgress?: (done: number, total: number) => void;
}

const REGION_OF_DIGEST = /^digests\/(?:\d{4}\/\d{2}\/\d{2}\/\d{2}\/)?(.+?)-(genesis|\d{8})\.json$/;
const REGION_OF_EVENTS = /^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/(.+)-\d{13}-[0-9a-f]{16}\.jsonl\.gz$/;

const parse = <T>(bytes: Buffer): T | undefined => {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return undefined;
  }
};

const overlaps = (digest: Digest, from?: Date, to?: Date) =>
  (!from || Date.parse(digest.periodEnd) >= from.getTime()) && (!to || Date.parse(digest.periodStart) <= to.getTime());

/**
 * Checks every hash, link and signature of the trail (the CloudTrail digest model) and names
 * each modified, deleted or inserted events object and each broken link or bad signature.
 */
export async function verifyTrail(reader: TrailReader, options: VerifyOptions = {}): Promise<VerifyReport> {
  const graceMs = options.graceMs ?? 300_000;
  const findings: Finding[] = [];
  const [digestEntries, eventEntries] = await Promise.all([reader.list('digests/'), reader.list('events/')]);
  type Chain = { genesis?: string; digests: Map<number, string> };
  const byRegion = new Map<string, Chain>();
  for (const { key } of digestEntries) {
    const match = REGION_OF_DIGEST.exec(key);
    if (!match) {
      findings.push({ kind: 'inserted', key, detail: 'not a digest name this trail writes' });
      continue;
    }
    const chain: Chain = byRegion.get(match[1]!) ?? { digests: new Map() };
    byRegion.set(match[1]!, chain);
    if (match[2] === 'genesis') chain.genesis = key;
    else chain.digests.set(Number(match[2]), key);
  }

  const listedObjects = new Map<string, { sha256: string; region: string; digest: string; inRange: boolean }>();
  const regions: RegionSummary[] = [];
  const lastSealed = new Map<string, number>();
  for (const [region, chain] of [...byRegion].sort(([a], [b]) => a.localeCompare(b))) {
    const summary: RegionSummary = { region, digests: 0, objects: 0, events: 0 };
    regions.push(summary);
    const genesisBytes = await reader.read(genesisKey(region));
    const genesis = genesisBytes && parse<Genesis>(genesisBytes);
    if (!genesis) {
      findings.push({
        kind: 'missing-digest',
        key: genesisKey(region),
        detail: `the genesis of ${region} is missing or unreadable; no signature of this region can be trusted`,
      });
      continue;
    }
    summary.kid = genesis.kid;
    if (!verifyEs256(genesis.publicKey, signedBytes(genesis), Buffer.from(genesis.signature, 'base64url'))) {
      findings.push({
        kind: 'bad-signature',
        key: genesisKey(region),
        detail: 'the genesis is not signed by the key it records',
      });
    }
    if (
      options.trustedKeys &&
      !options.trustedKeys.some((key) => key.x === genesis.publicKey.x && key.y === genesis.publicKey.y)
    ) {
      findings.push({
        kind: 'untrusted-key',
        key: genesisKey(region),
        detail: `the chain is signed with key ${genesis.kid}, which is not among the trusted keys`,
      });
    }

    const highest = Math.max(0, ...chain.digests.keys());
    let previous: { key: string; bytes: Buffer } = { key: genesisKey(region), bytes: genesisBytes! };
    for (let sequence = 1; sequence <= highest; sequence++) {
      const key = chain.digests.get(sequence);
      if (!key) {
        findings.push({
          kind: 'missing-digest',
          key: `${region} digest #${sequence}`,
          detail: `digest ${sequence} of ${region} is missing: the chain is broken between ${previous.key} and the next digest`,
        });
        previous = { key: `${region} digest #${sequence}`, bytes: Buffer.alloc(0) };
        continue;
      }
      const bytes = await reader.read(key);
      const digest = bytes && parse<Digest>(bytes);
      if (!bytes || !digest || digest.type !== 'digest') {
        findings.push({ kind: 'unreadable', key, detail: 'the digest cannot be read as JSON' });
        previous = { key, bytes: bytes ?? Buffer.alloc(0) };
        continue;
      }
      summary.digests += 1;
      summary.firstSealedAt ??= digest.periodEnd;
      summary.lastSealedAt = digest.periodEnd;
      lastSealed.set(region, Date.parse(digest.periodEnd));
      if (
        digest.kid !== genesis.kid ||
        !verifyEs256(genesis.publicKey, signedBytes(digest), Buffer.from(digest.signature, 'base64url'))
      ) {
        findings.push({
          kind: 'bad-signature',
          key,
          detail: `the signature does not verify with the ${region} audit key`,
        });
      }
      if (digest.sequence !== sequence || digest.region !== region) {
        findings.push({
          kind: 'broken-link',
          key,
          detail: `the digest says it is ${digest.region} #${digest.sequence}, but its name says ${region} #${sequence}`,
        });
      }
      const previousIntact =
        previous.bytes.length > 0 &&
        sha256Hex(previous.bytes) === digest.previous.sha256 &&
        digest.previous.key === previous.key;
      if (!previousIntact && previous.bytes.length > 0) {
        findings.push({
          kind: 'broken-link',
          key,
          detail: `its link to ${digest.previous.key} does not match that digest as stored (${previous.key})`,
        });
      }
      const inRange = overlaps(digest, options.from, options.to);
      for (const object of digest.objects) {
        listedObjects.set(object.key, { sha256: object.sha256, region, digest: key, inRange });
        summary.objects += 1;
        summary.events += object.events;
      }
      previous = { key, bytes };
    }
  }

  // Hash every listed object in range, then look for objects no digest lists.
  let bytesHashed = 0;
  const toHash = [...listedObjects].filter(([, listed]) => listed.inRange);
  let done = 0;
  for (const [key, listed] of toHash) {
    const bytes = await reader.read(key);
    if (!bytes)
      findings.push({ kind: 'deleted', key, detail: `listed in ${listed.digest} but no longer in the bucket` });
    else {
      bytesHashed += bytes.length;
      if (sha256Hex(bytes) !== listed.sha256)
        findings.push({ kind: 'modified', key, detail: `its SHA-256 differs from the one ${listed.digest} recorded` });
    }
    options.onProgress?.(++done, toHash.length);
  }
  const pending: string[] = [];
  for (const entry of eventEntries) {
    if (listedObjects.has(entry.key)) continue;
    const region = REGION_OF_EVENTS.exec(entry.key)?.[1];
    const sealedUntil = region ? lastSealed.get(region) : undefined;
    if (region && (sealedUntil === undefined || entry.lastModified.getTime() > sealedUntil - graceMs))
      pending.push(entry.key);
    else
      findings.push({
        kind: 'inserted',
        key: entry.key,
        detail: region
          ? 'older than the last digest, yet listed in none'
          : 'not an events object name this trail writes',
      });
  }
  return { ok: findings.length === 0, regions, findings, pending, bytesHashed };
}
