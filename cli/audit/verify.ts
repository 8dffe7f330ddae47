import { genesisKey, sha256Hex, type ChainHead } from '../../functions/audit/domain.ts';
import type { ObjectVersion, TrailEntry, TrailReader } from '../../functions/audit/store.ts';
import type { PublicJwk } from '../../shared/crypto/signer.ts';
import { walkChain, type ChainNames, type WalkedChain } from './chain.ts';
import type { Finding, RegionSummary } from './findings.ts';
import { mapLimit } from './parallel.ts';

export type { Finding, FindingKind, RegionSummary } from './findings.ts';

export interface VerifyReport {
  ok: boolean;
  regions: RegionSummary[];
  findings: Finding[];
  /** Objects no digest lists yet, younger than one period plus grace: the next seal covers them. */
  pending: string[];
  objectsHashed: number;
  bytesHashed: number;
  /** Whether object versions were checked: the bucket keeps none (or the emulator has no versioning). */
  versions: 'checked' | 'not-versioned';
  /** Whether each chain's newest digest was compared with the head the control table recorded. */
  headsChecked: boolean;
}

export interface VerifyOptions {
  from?: Date;
  to?: Date;
  /** Keys pinned for the deployment, from outside the bucket; every chain must start from one. */
  trustedKeys: readonly PublicJwk[];
  /** The regions whose chains must be in this bucket. */
  regions?: readonly string[];
  /** The seal period (default 60 min): a chain must have a digest at least this recent, plus grace. */
  periodMs?: number;
  /** Slack for a late seal and for clocks (default 5 min). */
  graceMs?: number;
  now?: Date;
  /** The head each region's seal recorded in the control table, where the auditor can read it. */
  recordedHead?: (region: string) => Promise<ChainHead | undefined>;
  /** Reads in flight at once (default 64). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export class UntrustedVerifyError extends Error {}

export const DIGEST_NAME = /^digests\/(?:\d{4}\/\d{2}\/\d{2}\/\d{2}\/)?(.+?)-(genesis|\d{8})\.json$/;
export const EVENTS_NAME = /^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/(.+)-\d{13}-[0-9a-f]{16}\.jsonl\.gz$/;

const inWindow = (listed: { periodStart: string; periodEnd: string }, from?: Date, to?: Date) =>
  (!from || Date.parse(listed.periodEnd) >= from.getTime()) && (!to || Date.parse(listed.periodStart) <= to.getTime());

function chainNames(entries: TrailEntry[], findings: Finding[]): Map<string, ChainNames> {
  const byRegion = new Map<string, ChainNames>();
  for (const { key } of entries) {
    const match = DIGEST_NAME.exec(key);
    if (!match) {
      findings.push({ kind: 'inserted', key, detail: 'not a digest name this trail writes' });
      continue;
    }
    const chain = byRegion.get(match[1]!) ?? byRegion.set(match[1]!, { digests: new Map() }).get(match[1]!)!;
    if (match[2] === 'genesis') chain.genesis = key;
    else {
      const sequence = Number(match[2]);
      chain.digests.set(sequence, [...(chain.digests.get(sequence) ?? []), key]);
    }
  }
  return byRegion;
}

/** Delete markers and replaced versions: what a versioned bucket keeps of a deletion or an overwrite. */
function versionFindings(versions: ObjectVersion[], findings: Finding[]) {
  for (const version of versions) {
    if (version.deleteMarker)
      findings.push({
        kind: 'delete-marker',
        key: version.key,
        detail: `deleted at ${version.lastModified.toISOString()} (delete marker ${version.versionId})`,
      });
    else if (!version.isLatest)
      findings.push({
        kind: 'overwritten',
        key: version.key,
        detail: `version ${version.versionId} of ${version.lastModified.toISOString()} was replaced by a later one`,
      });
  }
}

/** The recorded head must be in the bucket as recorded: a chain cut short or rewound shows here. */
async function headFindings(
  heads: Map<string, ChainHead | undefined>,
  chains: Map<string, WalkedChain>,
  findings: Finding[],
) {
  for (const [region, head] of heads) {
    const chain = chains.get(region);
    if (!head) {
      if (chain?.newest)
        findings.push({
          kind: 'head-mismatch',
          key: chain.newest.key,
          detail: `the control table records no head for ${region}, yet the bucket holds its chain`,
        });
      continue;
    }
    const stored = chain?.bySequence.get(head.sequence);
    if (!stored || stored.key !== head.key || stored.sha256 !== head.sha256)
      findings.push({
        kind: 'head-mismatch',
        key: head.key,
        detail: stored
          ? `the control table's head ${region} #${head.sequence} is ${head.key} with SHA-256 ${head.sha256.slice(0, 12)}…; the bucket's chain holds ${stored.key === head.key ? 'other bytes there' : stored.key}`
          : `the control table's head ${region} #${head.sequence} ${head.key} is not in the bucket's chain (its newest: ${chain?.newest?.key ?? 'none'})`,
      });
  }
}

/**
 * Checks every hash, link and signature of the trail (the CloudTrail digest model) against keys
 * pinned from outside the bucket, and names each modified, deleted or inserted events object,
 * each broken, moved, copied or stale digest, each missing or unknown region, each delete
 * marker and overwritten version, and a chain that disagrees with the head the seal recorded.
 */
export async function verifyTrail(reader: TrailReader, options: VerifyOptions): Promise<VerifyReport> {
  if (!options.trustedKeys?.length)
    throw new UntrustedVerifyError(
      'verify needs a trusted audit key pinned for this deployment (--trusted-key FILE): a chain only proves what its first key signed',
    );
  const now = options.now ?? new Date();
  const periodMs = options.periodMs ?? 3_600_000;
  const graceMs = options.graceMs ?? 300_000;
  const concurrency = options.concurrency ?? 64;
  const findings: Finding[] = [];
  const required = options.regions ? new Set(options.regions) : undefined;

  // The heads first: a seal finishing while we list then only adds digests after them.
  const readHeads = (regions: Iterable<string>) =>
    mapLimit([...regions], 8, async (region) => [region, await options.recordedHead!(region)] as const);
  const heads = options.recordedHead ? new Map(await readHeads(required ?? [])) : undefined;
  const [digestEntries, eventEntries, versions] = await Promise.all([
    reader.list('digests/'),
    reader.list('events/'),
    reader.versions ? reader.versions('') : Promise.resolve(undefined),
  ]);
  const byRegion = chainNames(digestEntries, findings);
  // Without a list of regions, the chains found are the ones to compare.
  if (heads && !required) for (const [region, head] of await readHeads(byRegion.keys())) heads.set(region, head);

  const digestKeys = digestEntries.map((entry) => entry.key).filter((key) => DIGEST_NAME.test(key));
  const bytesOf = new Map(
    await mapLimit(digestKeys, concurrency, async (key) => [key, await reader.read(key)] as const),
  );

  const chains = new Map<string, WalkedChain>();
  for (const region of [...byRegion.keys()].sort()) {
    if (required && !required.has(region)) {
      findings.push({
        kind: 'unknown-region',
        key: byRegion.get(region)!.genesis ?? genesisKey(region),
        detail: `a chain for ${region}, which is not a region of this deployment (${[...required].join(', ')})`,
      });
      continue;
    }
    chains.set(region, walkChain(region, byRegion.get(region)!, bytesOf, options.trustedKeys, findings));
  }
  for (const region of required ?? []) {
    const chain = chains.get(region);
    if (!byRegion.get(region)?.genesis)
      findings.push({
        kind: 'missing-region',
        key: genesisKey(region),
        detail: `${region} has no genesis in the bucket`,
      });
    else if (!chain?.newest)
      findings.push({
        kind: 'missing-region',
        key: genesisKey(region),
        detail: `${region} has no digest in the bucket`,
      });
  }
  for (const [region, chain] of chains) {
    if (chain.newest && Date.parse(chain.newest.periodEnd) < now.getTime() - periodMs - graceMs)
      findings.push({
        kind: 'stale-chain',
        key: chain.newest.key,
        detail: `the newest ${region} digest ended its period at ${chain.newest.periodEnd}, more than one period (${periodMs / 60_000} min) plus grace ago: later digests are missing or the seal has stopped`,
      });
  }
  if (heads) await headFindings(heads, chains, findings);
  if (versions) versionFindings(versions, findings);

  // Hash every listed object in the window, reading in parallel.
  const listed = new Map<string, { sha256: string; digest: string; region: string }>();
  const toHash: { key: string; sha256: string; digest: string }[] = [];
  for (const [region, chain] of chains)
    for (const object of chain.listed) {
      listed.set(object.key, { ...object, region });
      if (inWindow(object, options.from, options.to)) toHash.push(object);
    }
  let done = 0;
  let bytesHashed = 0;
  await mapLimit(toHash, concurrency, async (object) => {
    const bytes = await reader.read(object.key);
    if (!bytes)
      findings.push({
        kind: 'deleted',
        key: object.key,
        detail: `listed in ${object.digest} but no longer in the bucket`,
      });
    else {
      bytesHashed += bytes.length;
      if (sha256Hex(bytes) !== object.sha256)
        findings.push({
          kind: 'modified',
          key: object.key,
          detail: `its SHA-256 differs from the one ${object.digest} recorded`,
        });
    }
    done += 1;
    options.onProgress?.(done, toHash.length);
  });

  // Objects no digest lists: pending while young, inserted once a seal should have listed them.
  const pending: string[] = [];
  for (const entry of eventEntries) {
    if (listed.has(entry.key)) continue;
    const region = EVENTS_NAME.exec(entry.key)?.[1];
    const chain = region ? chains.get(region) : undefined;
    const sealedUntil = chain?.newest ? Date.parse(chain.newest.periodEnd) : undefined;
    const age = now.getTime() - entry.lastModified.getTime();
    if (!region)
      findings.push({ kind: 'inserted', key: entry.key, detail: 'not an events object name this trail writes' });
    else if (!chain && required?.has(region))
      findings.push({
        kind: 'inserted',
        key: entry.key,
        detail: `listed by no digest: the ${region} chain is missing from the bucket`,
      });
    else if (!chain)
      findings.push({
        kind: 'unknown-region',
        key: entry.key,
        detail: `an events object of ${region}, a region with no chain ${required ? 'in this deployment' : 'in this bucket'}`,
      });
    else if (age > periodMs + graceMs)
      findings.push({
        kind: 'inserted',
        key: entry.key,
        detail: 'written more than one period plus grace ago, yet listed in no digest',
      });
    else if (sealedUntil !== undefined && entry.lastModified.getTime() < sealedUntil - graceMs)
      findings.push({ kind: 'inserted', key: entry.key, detail: 'older than the last digest, yet listed in none' });
    else pending.push(entry.key);
  }
  findings.sort((a, b) => a.key.localeCompare(b.key) || a.kind.localeCompare(b.kind));
  return {
    ok: findings.length === 0,
    regions: [...chains.values()].map((chain) => chain.summary),
    findings,
    pending,
    objectsHashed: done,
    bytesHashed,
    versions: versions ? 'checked' : 'not-versioned',
    headsChecked: heads !== undefined,
  };
}

/** The events objects the digests list, without checking them: what query and report count as sealed. */
export async function sealedObjectKeys(reader: TrailReader, concurrency = 64): Promise<Set<string>> {
  const keys = (await reader.list('digests/')).map((entry) => entry.key).filter((key) => DIGEST_NAME.test(key));
  const sealed = new Set<string>();
  await mapLimit(keys, concurrency, async (key) => {
    const bytes = await reader.read(key);
    try {
      const digest = bytes && (JSON.parse(bytes.toString('utf8')) as { objects?: { key: string }[] });
      for (const object of digest?.objects ?? []) sealed.add(object.key);
    } catch {
      // an unreadable digest seals nothing; verify names it
    }
  });
  return sealed;
}
