import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
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

    this.auditBucket = new Bucket(this, 'AuditBucket', {
      versioned: true,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
