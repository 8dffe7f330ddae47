import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { AuditCatalog } from './audit-catalog.ts';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from './stage.ts';

/** The longest timeout of any SQS consumer; queues keep messages invisible for 6× that. */
export const MAX_CONSUMER_TIMEOUT = Duration.seconds(30);

export interface StatefulStackProps extends StackProps {
  config: StageConfig;
}

/**
 * Data that must outlive any deployment: tables, buckets, queues. Kept apart from the
 * functions so that redeploying code can never replace a table.
 */
export class StatefulStack extends Stack {
  /** Idempotency records, rate-limit counters and the token deny-list; items expire by `expiresAt`. */
  readonly controlTable: TableV2;
  readonly auditQueue: Queue;
  readonly auditDeadLetters: Queue;
  readonly auditBucket: Bucket;
  /** Accounts, clients, sessions, codes and token families of the identity service. */
  readonly identityTable: TableV2;
  /** Signs access and ID tokens: a KMS key, or the key files the embedded runtime made. */
  readonly tokenSigningKey: { keyId: string; key?: Key };
  /** Signs audit digests: a KMS key, or the key file the embedded runtime made. */
  readonly auditSigningKey: { keyId: string; key?: Key };

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.controlTable = new TableV2(this, 'ControlTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: config.retainData,
      removalPolicy,
    });

    this.identityTable = new TableV2(this, 'IdentityTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: config.retainData,
      removalPolicy,
    });
    if (config.tokenKeyFiles) this.tokenSigningKey = { keyId: config.tokenKeyFiles };
    else {
      const key = new Key(this, 'TokenSigningKey', {
        description: 'Signs access and ID tokens (ES256)',
        keySpec: KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.tokenSigningKey = { keyId: key.keyArn, key };
    }

    this.auditDeadLetters = new Queue(this, 'AuditDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      removalPolicy,
    });
    this.auditQueue = new Queue(this, 'AuditQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(MAX_CONSUMER_TIMEOUT.toSeconds() * 6),
      // A dead letter keeps its first enqueue time: the DLQ must outlive the source queue,
      // or a message that failed late would expire in the DLQ before anyone looked at it.
      retentionPeriod: Duration.days(4),
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: this.auditDeadLetters, maxReceiveCount: 5 },
    });

    const auditEncryption = new Key(this, 'AuditEncryptionKey', {
      description: 'Encrypts the audit bucket',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Compliance-mode Object Lock: nobody, the root account included, can change or delete an
    // audit object before its retention ends. The digest chain proves what Object Lock protects.
    this.auditBucket = new Bucket(this, 'AuditBucket', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(config.auditRetentionDays)),
      encryption: BucketEncryption.KMS,
      encryptionKey: auditEncryption,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (config.auditKeyFile) this.auditSigningKey = { keyId: config.auditKeyFile };
    else {
      const key = new Key(this, 'AuditSigningKey', {
        description: 'Signs audit digests (ES256)',
        keySpec: KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.auditSigningKey = { keyId: key.keyArn, key };
    }

    new AuditCatalog(this, 'AuditCatalog', { bucket: this.auditBucket, stage: config.stage });
  }
}
