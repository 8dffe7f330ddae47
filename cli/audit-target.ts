import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localClients } from '../local/aws-clients.ts';
import type { PublicJwk } from '../shared/crypto/signer.ts';
import { CliError, localEnvironment } from './target.ts';

export interface AuditTarget {
  s3: S3Client;
  documents: DynamoDBDocumentClient;
  bucket: string;
  table?: string;
  region: string;
  auditKey?: string;
  /** The regions whose chains this bucket must hold. */
  regions: string[];
  /** Keys pinned for the deployment outside the bucket (`npm start` pins its own); --trusted-key adds. */
  trustedKeys: PublicJwk[];
}

export interface TargetOptions {
  bucket?: string;
  table?: string;
  region?: string;
  auditKey?: string;
}

/**
 * What `npm start` runs, unless --bucket names a deployed audit bucket (then the AWS
 * credential chain and --region are used; --table and --audit-key are needed only to seal;
 * verify then needs the deployment's pinned key, --trusted-key).
 */
export function auditTarget(flags: TargetOptions): AuditTarget {
  if (flags.bucket) {
    const region = flags.region ?? process.env.AWS_REGION;
    if (!region) throw new CliError('--region (or AWS_REGION) is needed with --bucket');
    return {
      s3: new S3Client({ region }),
      documents: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
      bucket: flags.bucket,
      table: flags.table,
      region,
      auditKey: flags.auditKey,
      regions: [region],
      trustedKeys: [],
    };
  }
  const env = localEnvironment();
  const clients = localClients(env.endpoints, env.region);
  const bucket = env.buckets.auditBucket;
  if (!bucket) throw new CliError('the local environment has no audit bucket');
  return {
    s3: clients.s3,
    documents: DynamoDBDocumentClient.from(clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    bucket,
    table: env.tables.controlTable,
    region: env.region,
    auditKey: flags.auditKey ?? env.auditKey,
    regions: [env.region],
    trustedKeys: env.auditTrustedKeys ?? [],
  };
}
