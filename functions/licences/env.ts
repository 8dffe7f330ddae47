/** Environment variable names of the licences capability, set by infra/capabilities/licences/. */
export const LICENCES_ENV = {
  licencesTable: 'DGOV_LICENCES_TABLE',
  licencesBucket: 'DGOV_LICENCES_BUCKET',
  notificationsQueueUrl: 'DGOV_LICENCE_NOTIFICATIONS_QUEUE_URL',
  /** Seal keys, comma-separated `<SM2-SM3|ES256>:<KMS key id/ARN or file:…>`: the first of each algorithm signs, all are published. */
  sealKeys: 'DGOV_LICENCE_SEAL_KEYS',
  /** The trust list: JSON array of external issuers' seal keys (mutual recognition). */
  trustList: 'DGOV_LICENCE_TRUST_LIST',
  /** Our sealing issuer id (seal.issuer). */
  issuerId: 'DGOV_LICENCE_ISSUER_ID',
  /** The API's public base URL: verify links, status lists, identity's UserInfo. */
  publicUrl: 'DGOV_LICENCES_PUBLIC_URL',
} as const;
