import { Aws, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type CapabilityInfra, pascalCase, replicatedBuckets } from './capabilities/capability.ts';
import { multiRegionKey, type RegionalKey } from './keys.ts';
import { crossRegionNames, type RegionRole } from './regions.ts';
import type { StageConfig } from './stage.ts';

export interface BaseStackProps extends StackProps {
  config: StageConfig;
  role: RegionRole;
  /** The suite's capabilities: their replicated buckets get DR copies here. */
  capabilities: readonly CapabilityInfra[];
}

/**
 * What both regions' stateful stacks need to exist first: the multi-Region data key, this
 * region's operations key and access-log bucket, and the DR copies the other region's buckets
 * replicate into. S3 refuses a replication rule whose destination does not exist yet, so the
 * destinations live here, one layer below the buckets that replicate into them, and a single
 * `cdk deploy --all` can create both regions in order.
 */
export class BaseStack extends Stack {
  readonly role: RegionRole;
  /** Multi-Region: encrypts the global tables' replicas here and the DR copies. */
  readonly dataKey: RegionalKey;
  /** This region's log groups and alarm notifications. */
  readonly opsKey: Key;
  /** S3 server access logs of every bucket in this region, under `<role>/`. */
  readonly accessLogs: Bucket;
  /** The DR copy here of each of the other region's replicated buckets, by role. */
  readonly drCopies: Record<string, Bucket>;

  constructor(scope: Construct, id: string, props: BaseStackProps) {
    super(scope, id, props);
    const { config, role } = props;
    this.role = role;

    this.dataKey = multiRegionKey(this, 'DataKey', {
      role,
      alias: crossRegionNames.keyAlias(config.stage, 'data'),
      description: 'dgov data: global tables and the DR copies of the other region',
    });

    this.opsKey = new Key(this, 'OpsKey', {
      description: `dgov operations in ${role.home}: log groups and alarm notifications`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts log groups with it (regional service principal, this account's log groups only)...
    this.opsKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${role.home}.${Aws.URL_SUFFIX}`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${role.home}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    // ...and CloudWatch alarms publish to the encrypted alarm topic (the key policy SNS documents for alarms).
    this.opsKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    // Server access logs cannot be delivered to an SSE-KMS bucket: S3-managed keys here.
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [
        { expiration: Duration.days(config.logRetentionDays), noncurrentVersionExpiration: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.drCopies = Object.fromEntries(
      Object.entries(replicatedBuckets(props.capabilities)).map(([bucketRole, spec]) => [
        bucketRole,
        new Bucket(this, `${pascalCase(bucketRole)}DrCopy`, {
          bucketName: crossRegionNames.drBucket(this, config.stage, bucketRole, role.home),
          versioned: true,
          // Replicas keep the retention their source objects carry; the bucket must allow it.
          objectLockEnabled: spec.objectLock || undefined,
          encryption: BucketEncryption.KMS,
          encryptionKey: this.dataKey.key,
          bucketKeyEnabled: true,
          blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
          objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
          enforceSSL: true,
          serverAccessLogsBucket: this.accessLogs,
          serverAccessLogsPrefix: `${bucketRole}-dr/`,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      ]),
    );
  }
}
