import {
  digestKey,
  genesisKey,
  sha256Hex,
  signedBytes,
  type Digest,
  type Genesis,
} from '../../functions/audit/domain.ts';
import { verifyEs256, type PublicJwk } from '../../shared/crypto/signer.ts';
import type { Finding, RegionSummary } from './findings.ts';

const parse = <T>(bytes: Buffer | undefined): T | undefined => {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return undefined;
  }
};

const sameKey = (a: PublicJwk, b: PublicJwk) => a.x === b.x && a.y === b.y && a.crv === b.crv;
const signedBy = (key: PublicJwk, document: Genesis | Digest) =>
  document.kid === key.kid &&
  verifyEs256(key, signedBytes(document), Buffer.from(document.signature ?? '', 'base64url'));

export interface ChainNames {
  genesis?: string;
  /** Every digest name of each sequence number: more than one is a copy. */
  digests: Map<number, string[]>;
}

export interface WalkedChain {
  summary: RegionSummary;
  /** What the chain's digests list, to hash and to tell sealed objects from the rest. */
  listed: { key: string; sha256: string; digest: string; periodStart: string; periodEnd: string }[];
  /** The newest digest of the chain as stored (key, sequence, SHA-256), to compare with the recorded head. */
  newest?: { key: string; sequence: number; sha256: string; periodEnd: string };
  /** Each sequence's digest as accepted, to compare with the recorded head. */
  bySequence: Map<number, { key: string; sha256: string }>;
}

/**
 * Walks one region's chain from its genesis: the genesis is signed with a trusted key, every
 * digest is signed with the key the chain names at that point (the genesis key, or the key a
 * rotation digest signed by the previous key introduced), links to the previous one as stored,
 * starts its period where the previous ended, and sits under the name its content implies.
 */
export function walkChain(
  region: string,
  names: ChainNames,
  bytesOf: Map<string, Buffer | undefined>,
  trustedKeys: readonly PublicJwk[],
  findings: Finding[],
): WalkedChain {
  const summary: RegionSummary = { region, digests: 0, objects: 0, events: 0 };
  const walked: WalkedChain = { summary, listed: [], bySequence: new Map() };
  const gKey = genesisKey(region);
  const genesisBytes = bytesOf.get(gKey);
  const genesis = parse<Genesis>(genesisBytes);
  if (genesis?.type !== 'genesis' || !genesis.publicKey) {
    findings.push({
      kind: 'missing-digest',
      key: gKey,
      detail: `the genesis of ${region} is missing or unreadable; no signature of this region can be trusted`,
    });
    return walked;
  }
  summary.kid = genesis.kid;
  if (!signedBy(genesis.publicKey, genesis))
    findings.push({ kind: 'bad-signature', key: gKey, detail: 'the genesis is not signed by the key it records' });
  if (!trustedKeys.some((key) => sameKey(key, genesis.publicKey)))
    findings.push({
      kind: 'untrusted-key',
      key: gKey,
      detail: `the chain starts from key ${genesis.kid}, which is not a key pinned for this deployment`,
    });

  let key: PublicJwk = genesis.publicKey;
  let previous = { key: gKey, bytes: genesisBytes!, periodEnd: genesis.createdAt };
  walked.bySequence.set(0, { key: gKey, sha256: sha256Hex(genesisBytes!) });
  const highest = Math.max(0, ...names.digests.keys());
  for (let sequence = 1; sequence <= highest; sequence++) {
    const candidates = names.digests.get(sequence) ?? [];
    if (candidates.length === 0) {
      findings.push({
        kind: 'missing-digest',
        key: `${region} digest #${sequence}`,
        detail: `digest ${sequence} of ${region} is missing: the chain is broken between ${previous.key} and the next digest`,
      });
      previous = { key: `${region} digest #${sequence}`, bytes: Buffer.alloc(0), periodEnd: '' };
      continue;
    }
    // Of several digests claiming this sequence, the one that links to the previous is the chain's.
    const linked = candidates.find(
      (candidate) => parse<Digest>(bytesOf.get(candidate))?.previous?.key === previous.key,
    );
    const name = linked ?? candidates[0]!;
    for (const copy of candidates.filter((candidate) => candidate !== name))
      findings.push({
        kind: 'duplicate-digest',
        key: copy,
        detail: `a second digest #${sequence} of ${region}; the chain's is ${name}`,
      });
    const bytes = bytesOf.get(name);
    const digest = parse<Digest>(bytes);
    if (!bytes || !digest || digest.type !== 'digest' || !Array.isArray(digest.objects) || !digest.previous) {
      findings.push({ kind: 'unreadable', key: name, detail: 'the digest cannot be read as a digest' });
      previous = { key: name, bytes: bytes ?? Buffer.alloc(0), periodEnd: '' };
      continue;
    }
    summary.digests += 1;
    summary.firstSealedAt ??= digest.periodEnd;
    summary.lastSealedAt = digest.periodEnd;
    const signed = signedBy(key, digest);
    if (!signed)
      findings.push({
        kind: 'bad-signature',
        key: name,
        detail: `the signature does not verify with key ${key.kid}, the one the ${region} chain names here`,
      });
    if (digest.sequence !== sequence || digest.region !== region)
      findings.push({
        kind: 'broken-link',
        key: name,
        detail: `the digest says it is ${digest.region} #${digest.sequence}, but its name says ${region} #${sequence}`,
      });
    else if (digestKey(region, sequence, new Date(digest.periodEnd)) !== name)
      findings.push({
        kind: 'misplaced-digest',
        key: name,
        detail: `a digest whose period ends ${digest.periodEnd} belongs at ${digestKey(region, sequence, new Date(digest.periodEnd))}`,
      });
    if (previous.bytes.length > 0) {
      if (sha256Hex(previous.bytes) !== digest.previous.sha256 || digest.previous.key !== previous.key)
        findings.push({
          kind: 'broken-link',
          key: name,
          detail: `its link to ${digest.previous.key} does not match that digest as stored (${previous.key})`,
        });
      else if (digest.periodStart !== previous.periodEnd)
        findings.push({
          kind: 'broken-link',
          key: name,
          detail: `its period starts ${digest.periodStart}, not where ${previous.key} ended (${previous.periodEnd})`,
        });
    }
    for (const object of digest.objects) {
      walked.listed.push({ ...object, digest: name, periodStart: digest.periodStart, periodEnd: digest.periodEnd });
      summary.objects += 1;
      summary.events += object.events;
    }
    // Only a rotation the current key signed moves the chain to the next key.
    if (signed && digest.nextKey) {
      key = digest.nextKey;
      summary.kid = key.kid;
    }
    const sha256 = sha256Hex(bytes);
    walked.bySequence.set(sequence, { key: name, sha256 });
    walked.newest = { key: name, sequence, sha256, periodEnd: digest.periodEnd };
    previous = { key: name, bytes, periodEnd: digest.periodEnd };
  }
  return walked;
}
