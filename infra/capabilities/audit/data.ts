import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  type Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { multiRegionKey, signingKey, type SigningKey } from '../../keys.ts';
import { crossRegionNames } from '../../regions.ts';
import { replicatedBucket, withPeerQueue } from '../../replication.ts';
import type { DataContext } from '../capability.ts';
import { AuditCatalog } from './catalog.ts';
import { AuditBucketGuard } from './guard.ts';

/** The longest timeout of the audit queue's consumer; the queue keeps messages invisible for 6× that. */
export const AUDIT_CONSUMER_TIMEOUT = Duration.seconds(30);

/**
 * The audit queue every capability sends its events to (and its dead-letter queue), the Object
 * Lock bucket the writer stores them in, the key that signs digests, and the Athena catalogue.
 */
export class AuditData extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly bucket: Bucket;
  /** Signs audit digests: a multi-Region KMS key, or the key file the embedded runtime made. */
  readonly signingKey: SigningKey;
  readonly catalog: AuditCatalog;
  /** The bucket policy, and the one role it lets delete objects or change retention or versioning. */
  readonly guard: AuditBucketGuard;

  constructor(scope: Construct, id: string, context: DataContext) {
    super(scope, id);
    const { config, role, removalPolicy } = context;
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      removalPolicy,
    });
    const queueName = crossRegionNames.queue(config.stage, 'audit');
    this.queue = new Queue(this, 'Queue', {
      // Named: the other region's functions fail over to it by name (no cross-region reference).
      queueName,
      encryption: QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(AUDIT_CONSUMER_TIMEOUT.toSeconds() * 6),
      // A dead letter keeps its first enqueue time: the DLQ must outlive the source queue,
      // or a message that failed late would expire in the DLQ before anyone looked at it.
      retentionPeriod: Duration.days(4),
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });
    withPeerQueue(this.queue, queueName, context);

    const encryptionKey = multiRegionKey(this, 'EncryptionKey', {
      role,
      alias: crossRegionNames.keyAlias(config.stage, 'audit'),
      description: 'Encrypts the audit bucket',
    }).key;
    // Compliance-mode Object Lock: nobody, the root account included, can change or delete an
    // audit object before its retention ends. The digest chain proves what Object Lock protects.
    // Replicated to the DR copy in the other region (with its retention), RTC 15 minutes.
    this.bucket = replicatedBucket(
      this,
      'Bucket',
      'audit',
      {
        versioned: true,
        objectLockEnabled: true,
        objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(config.auditRetentionDays)),
        encryption: BucketEncryption.KMS,
        encryptionKey,
        bucketKeyEnabled: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.RETAIN,
      },
      context,
    );

    this.signingKey = signingKey(this, 'SigningKey', {
      role,
      alias: crossRegionNames.keyAlias(config.stage, 'audit-signing'),
      description: 'Signs audit digests (ES256)',
      files: config.auditKeyFile,
    });
    this.guard = new AuditBucketGuard(this, 'Guard', { bucket: this.bucket, stage: config.stage });
    this.catalog = new AuditCatalog(this, 'Catalog', { bucket: this.bucket, stage: config.stage });
  }
}
