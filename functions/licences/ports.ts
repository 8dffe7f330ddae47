import type { Seal, SealAlg, SealJwk } from './domain/seal.ts';
import type { Holder, LicenceDocument, LicenceRecord } from './model.ts';

/** Seals with one key: a key file locally, a KMS key in the cloud (functions/licences/adapters/). */
export interface SealSigner {
  readonly alg: SealAlg;
  publicJwk(): Promise<SealJwk>;
  /** DER signature over the bytes (for SM2: GB/T 32918 with SM3 and the default user id). */
  sign(data: Buffer): Promise<Buffer>;
}

/** The outcome of claiming (issuer, matterId) for a new licence. */
export type IssueOutcome = { created: true } | { created: false; existing: LicenceRecord };

/** The index in DynamoDB: one conditional write decides each one-time change. */
export interface LicenceStore {
  /** The licence already issued for this matter by this issuer, if any. */
  byMatter(issuer: string, matterId: string): Promise<LicenceRecord | undefined>;
  /** Writes the licence and its matter claim together, or answers the licence that won the claim. */
  create(record: LicenceRecord): Promise<IssueOutcome>;
  get(licenceId: string): Promise<LicenceRecord | undefined>;
  byHolder(holder: Holder, limit: number): Promise<LicenceRecord[]>;
  /** Marks the licence revoked and sets its status bit; false when it was revoked already. */
  revoke(licenceId: string, listId: string, index: number, reason: string, at: string): Promise<boolean>;
  /** Records that the licence's event has gone to the audit trail and the notifications queue. */
  markAnnounced(licenceId: string, event: 'issued' | 'revoked'): Promise<void>;
  /** The next free position in the status lists. */
  nextStatusIndex(): Promise<number>;
  /** The revoked positions of one status list. */
  revokedIndexes(listId: string): Promise<number[]>;
}

/** The sealed document's record copy: the versioned, replicated licences bucket. */
export interface DocumentArchive {
  put(licenceId: string, body: string): Promise<void>;
  /** Removes a copy written for a licence that lost the race for its matter. */
  discard(licenceId: string): Promise<void>;
}

export interface LicenceEvent {
  type: 'licence.issued' | 'licence.revoked';
  licenceId: string;
  licenceType: string;
  issuer: string;
  holder: Holder;
  time: string;
  reason?: string;
}

/** The notifications queue. */
export type Notify = (event: LicenceEvent) => Promise<void>;

/** The caller's own identifier (idNumber or creditCode), from identity's userinfo. */
export type HolderOf = (accessToken: string, claims: Record<string, string>) => Promise<Holder | undefined>;

export type { LicenceDocument, Seal };
