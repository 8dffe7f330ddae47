/**
 * Environment variable names shared by infra/ (which sets them) and functions/ (which read them).
 * One list, so a rename cannot leave the two sides disagreeing.
 */
export const ENV = {
  stage: 'DGOV_STAGE',
  version: 'DGOV_VERSION',
  controlTable: 'DGOV_CONTROL_TABLE',
  auditQueueUrl: 'DGOV_AUDIT_QUEUE_URL',
  auditBucket: 'DGOV_AUDIT_BUCKET',
  /** Audit signing key: a KMS key id or ARN in the cloud, `file:/path.pem` for the embedded runtime. */
  auditKey: 'DGOV_AUDIT_KEY',
  identityTable: 'DGOV_IDENTITY_TABLE',
  /** Token signing keys, comma-separated (KMS ids/ARNs or file:…): the first signs, all are published. */
  tokenKeys: 'DGOV_TOKEN_KEYS',
  loginAttemptsPerMinute: 'DGOV_LOGIN_ATTEMPTS_PER_MINUTE',
  /** The OpenID issuer: the API's public base URL. */
  issuer: 'DGOV_ISSUER',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
