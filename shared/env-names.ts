/**
 * Environment variable names every capability may use, shared by infra/ (which sets them) and
 * functions/ (which read them), so a rename cannot leave the two sides disagreeing. A
 * capability's own names live in its folder (e.g. functions/identity/env.ts).
 */
export const ENV = {
  stage: 'DGOV_STAGE',
  version: 'DGOV_VERSION',
  controlTable: 'DGOV_CONTROL_TABLE',
  auditQueueUrl: 'DGOV_AUDIT_QUEUE_URL',
  auditBucket: 'DGOV_AUDIT_BUCKET',
  /** Audit signing key: a KMS key id or ARN in the cloud, `file:/path.pem` for the embedded runtime. */
  auditKey: 'DGOV_AUDIT_KEY',
  /** The other region of the pair: clients fail over to it when the home region's DynamoDB or SQS is unreachable. */
  peerRegion: 'DGOV_PEER_REGION',
  /** The audit queue of the other region (same name there), where audit events go when the home queue is unreachable. */
  peerAuditQueueUrl: 'DGOV_PEER_AUDIT_QUEUE_URL',
  /**
   * Emulators only: where the other region's DynamoDB and SQS answer. Beside AWS_ENDPOINT_URL_*,
   * a peer without its own endpoint is no peer (it would be the same emulator), so failover is off.
   */
  peerDynamodbEndpoint: 'DGOV_PEER_ENDPOINT_URL_DYNAMODB',
  peerSqsEndpoint: 'DGOV_PEER_ENDPOINT_URL_SQS',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The variable that carries the other region's counterpart of a resource variable, for failover. */
export const PEER_ENV: Partial<Record<EnvName, EnvName>> = {
  [ENV.auditQueueUrl]: ENV.peerAuditQueueUrl,
};
