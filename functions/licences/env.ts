/** Environment variable names of the licences capability, set by infra/capabilities/licences/. */
export const LICENCES_ENV = {
  licencesTable: 'DGOV_LICENCES_TABLE',
  licencesBucket: 'DGOV_LICENCES_BUCKET',
  notificationsQueueUrl: 'DGOV_LICENCE_NOTIFICATIONS_QUEUE_URL',
  /** SM2 seal keys (KMS key ids/ARNs or file:…), comma-separated: the first signs, all are published. Unset outside the China regions. */
  sm2SealKeys: 'DGOV_LICENCE_SM2_SEAL_KEYS',
  /** ES256 (P-256) seal keys, likewise. */
  es256SealKeys: 'DGOV_LICENCE_ES256_SEAL_KEYS',
  /** The trust list: JSON array of external issuers' seal keys (mutual recognition). */
  trustList: 'DGOV_LICENCE_TRUST_LIST',
  /** Our sealing issuer id (seal.issuer). */
  issuerId: 'DGOV_LICENCE_ISSUER_ID',
  /** The API's public base URL: verify links, status lists, identity's UserInfo. */
  publicUrl: 'DGOV_LICENCES_PUBLIC_URL',
} as const;
