import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { KeySpec, KeyUsage, type IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, BucketEncryption, ObjectLockRetention, ObjectOwnership, type Bucket } from 'aws-cdk-lib/aws-s3';
import { AuditCatalog } from './audit-catalog.ts';
import type { BaseStack } from './base-stack.ts';
import { multiRegionKey } from './keys.ts';
import { crossRegionNames, regionRole } from './regions.ts';
import { globalTable, replicatedBucket, withPeerQueue, type RegionContext } from './replication.ts';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from './stage.ts';

/** The longest timeout of any SQS consumer; queues keep messages invisible for 6× that. */
export const MAX_CONSUMER_TIMEOUT = Duration.seconds(30);

export interface StatefulStackProps extends StackProps {
  config: StageConfig;
  /** This region's base stack: data key, access logs, DR copies. */
  base: BaseStack;
}

/**
 * Data that must outlive any deployment: tables, buckets, queues. Kept apart from the
 * functions so that redeploying code can never replace a table.
 */
/** A key id for the signer port (KMS ARN or `file:` references) and, in the cloud, the key to grant. */
export interface SigningKey {
  keyId: string;
  key?: IKey;
}

export class StatefulStack extends Stack {
  /** Which region this is, and its base stack. */
  readonly regionContext: RegionContext;
  /** Idempotency records, rate-limit counters and the token deny-list; items expire by `expiresAt`. */
  readonly controlTable: ITableV2;
  readonly auditQueue: Queue;
  readonly auditDeadLetters: Queue;
  readonly auditBucket: Bucket;
  /** Accounts, clients, sessions, codes and token families of the identity service. */
  readonly identityTable: ITableV2;
  /** Signs access and ID tokens: a multi-Region KMS key (one JWKS in both regions), or the key files the embedded runtime made. */
  readonly tokenSigningKey: SigningKey;
  /** Signs audit digests: a multi-Region KMS key, or the key file the embedded runtime made. */
  readonly auditSigningKey: SigningKey;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // Tables are global (declared in the primary region, replicated to the other; PITR 35 days,
    // deletion protection in prod) and keys multi-Region: see infra/replication.ts and infra/keys.ts.
    const where = (this.regionContext = { config, role: regionRole(config, this.region), base: props.base });

    // Single-table designs: pk/sk strings, items that expire by `expiresAt`.
    const singleTable = {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: 'expiresAt',
    };
    this.controlTable = globalTable(this, 'ControlTable', 'control', singleTable, where);
    this.identityTable = globalTable(this, 'IdentityTable', 'identity', singleTable, where);
    /** A multi-region P-256 signing key, or the key files the embedded runtime uses instead. */
    const signingKey = (id: string, purpose: string, description: string, files?: string): SigningKey => {
      if (files) return { keyId: files };
      const key = multiRegionKey(this, id, {
        role: where.role,
        alias: crossRegionNames.keyAlias(config.stage, purpose),
        description,
        keySpec: KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
      });
      return { keyId: key.keyArn, key: key.key };
    };
    this.tokenSigningKey = signingKey('TokenSigningKey', 'token-signing', 'Signs access and ID tokens (ES256)', config.tokenKeyFiles);

    this.auditDeadLetters = new Queue(this, 'AuditDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      removalPolicy,
    });
    const auditQueueName = crossRegionNames.queue(config.stage, 'audit');
    this.auditQueue = new Queue(this, 'AuditQueue', {
      // Named: the other region's functions fail over to it by name (no cross-region reference).
      queueName: auditQueueName,
      encryption: QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(MAX_CONSUMER_TIMEOUT.toSeconds() * 6),
      // A dead letter keeps its first enqueue time: the DLQ must outlive the source queue,
      // or a message that failed late would expire in the DLQ before anyone looked at it.
      retentionPeriod: Duration.days(4),
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: this.auditDeadLetters, maxReceiveCount: 5 },
    });
    withPeerQueue(this.auditQueue, auditQueueName, where);

    const auditEncryption = multiRegionKey(this, 'AuditEncryptionKey', {
      role: where.role,
      alias: crossRegionNames.keyAlias(config.stage, 'audit'),
      description: 'Encrypts the audit bucket',
    }).key;
    // Compliance-mode Object Lock: nobody, the root account included, can change or delete an
    // audit object before its retention ends. The digest chain proves what Object Lock protects.
    // Replicated to the DR copy in the other region (with its retention), RTC 15 minutes.
    this.auditBucket = replicatedBucket(this, 'AuditBucket', 'audit', {
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
    }, where);

    this.auditSigningKey = signingKey('AuditSigningKey', 'audit-signing', 'Signs audit digests (ES256)', config.auditKeyFile);

    new AuditCatalog(this, 'AuditCatalog', { bucket: this.auditBucket, stage: config.stage });
  }
}
