import type { Seal } from './domain/seal.ts';

export interface Holder {
  kind: 'citizen' | 'enterprise';
  /** idNumber of a citizen, creditCode of an enterprise. */
  id: string;
}

/** W3C Bitstring Status List entry: where the licence's revocation bit is published. */
export interface StatusEntry {
  id: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: 'revocation';
  statusListIndex: string;
  statusListCredential: string;
}

/** What the seal covers (its RFC 8785 form). */
export interface LicenceDocument {
  licenceId: string;
  type: string;
  typeName: string;
  /** `id`: the sealing issuer (our platform or an external one); `department`: who issued it. */
  issuer: { id: string; department: string };
  holder: Holder;
  matterId: string;
  data: Record<string, unknown>;
  issuedAt: string;
  validFrom: string;
  validUntil?: string;
  credentialStatus: StatusEntry;
  verifyUrl: string;
}

export type LicenceStatus = 'valid' | 'revoked';

/** The index entry of a licence (DynamoDB), which also keeps the sealed document. */
export interface LicenceRecord {
  licenceId: string;
  document: LicenceDocument;
  seal: Seal;
  status: LicenceStatus;
  /** The issuing department. */
  issuer: string;
  matterId: string;
  /** SHA-256 of the canonical request: the same matterId with another payload is a conflict. */
  payloadHash: string;
  listId: string;
  listIndex: number;
  revokedAt?: string;
  revokeReason?: string;
  /** Whether licence.issued / licence.revoked went out; a retry sends what did not. */
  announced: { issued: boolean; revoked?: boolean };
}

/** Bits per status list: the W3C minimum (16 KiB), so no list tells much about one licence. */
export const STATUS_LIST_BITS = 131_072;
export const statusPosition = (index: number) => ({
  listId: String(Math.floor(index / STATUS_LIST_BITS)),
  bit: index % STATUS_LIST_BITS,
});
