import type { LicenceRecord } from '../model.ts';
import type { Seal } from './seal.ts';

/**
 * A W3C Verifiable Credential 2.0 proof made of our seal: the seal's signature over the RFC 8785
 * form of the credential without its `proof` (the JCS approach of the Data Integrity
 * cryptosuites), with the key named by its URL in GET /licences/seal-keys.
 */
export const sealProof = (seal: Seal, keysUrl: string, created: string) => ({
  type: 'DataIntegrityProof',
  cryptosuite: seal.alg === 'ES256' ? 'dgov-es256-jcs-2025' : 'dgov-sm2-sm3-jcs-2025',
  created,
  verificationMethod: `${keysUrl}#${seal.kid}`,
  proofPurpose: 'assertionMethod',
  proofValue: seal.signature,
});

/** The licence as a Verifiable Credential 2.0 (unsigned; proof added by the caller). */
export function licenceCredential(record: LicenceRecord, publicUrl: string) {
  const { document } = record;
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: `${publicUrl}/licences/${document.licenceId}/credential`,
    type: ['VerifiableCredential', 'DgovLicenceCredential'],
    name: document.typeName,
    issuer: { id: `${publicUrl}/issuers/${document.issuer.department}`, name: document.issuer.department },
    validFrom: document.validFrom,
    ...(document.validUntil ? { validUntil: document.validUntil } : {}),
    credentialSubject: {
      id: `urn:dgov:${document.holder.kind}:${document.holder.id}`,
      licenceType: document.type,
      licenceId: document.licenceId,
      data: document.data,
      /** The sealed licence document and its seal, for verifiers of the licence itself. */
      licence: { document, seal: record.seal },
    },
    credentialStatus: document.credentialStatus,
  };
}
