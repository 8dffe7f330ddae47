/** What verify can find wrong, each naming the object, digest or region (docs/audit.md "What verify checks"). */
export type FindingKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'unknown-region'
  | 'broken-link'
  | 'bad-signature'
  | 'missing-digest'
  | 'duplicate-digest'
  | 'misplaced-digest'
  | 'missing-region'
  | 'stale-chain'
  | 'head-mismatch'
  | 'untrusted-key'
  | 'unreadable'
  | 'delete-marker'
  | 'overwritten';

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
