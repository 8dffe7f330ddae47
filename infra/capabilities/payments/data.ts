import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, type Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PAID_INDEX } from '../../../functions/payments/dynamodb/store.ts';
import { globalTable, replicatedBucket, SINGLE_TABLE } from '../../replication.ts';
import type { DataContext } from '../capability.ts';

/** The settlement consumer's longest run; the queue hides a received message for 6× that. */
export const SETTLEMENT_CONSUMER_TIMEOUT = Duration.seconds(30);

/**
 * Orders, channel transactions, raw callbacks and flags (one global table, with the index of PAID
 * orders by channel and day); the FIFO settlement queue and its DLQ; the statements bucket
 * (channel statements in, reconciliation reports out).
 */
export class PaymentsData extends Construct {
  readonly table: ITableV2;
  readonly settlementQueue: Queue;
  readonly settlementDeadLetters: Queue;
  readonly statements: Bucket;

  constructor(scope: Construct, id: string, context: DataContext) {
    super(scope, id);
    this.table = globalTable(
      this,
      'Table',
      'payments',
      {
        ...SINGLE_TABLE,
        globalSecondaryIndexes: [
          {
            indexName: PAID_INDEX,
            partitionKey: { name: 'paidKey', type: AttributeType.STRING },
            sortKey: { name: 'paidSort', type: AttributeType.STRING },
            projectionType: ProjectionType.ALL,
          },
        ],
      },
      context,
    );
    const queueDefaults = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: context.removalPolicy,
    };
    this.settlementDeadLetters = new Queue(this, 'SettlementDeadLetters', {
      ...queueDefaults,
      fifo: true,
      retentionPeriod: Duration.days(14),
    });
    // FIFO: grouped by order, deduplicated on it (5 minutes). Not replicated: an event queued in a
    // lost region waits for it; reconciliation settles again through the same idempotent path.
    this.settlementQueue = new Queue(this, 'SettlementQueue', {
      ...queueDefaults,
      fifo: true,
      visibilityTimeout: Duration.seconds(SETTLEMENT_CONSUMER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.settlementDeadLetters, maxReceiveCount: 5 },
    });
    this.statements = replicatedBucket(
      this,
      'Statements',
      'statements',
      {
        encryption: BucketEncryption.KMS,
        encryptionKey: context.base.dataKey.key,
        bucketKeyEnabled: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        removalPolicy: context.config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        autoDeleteObjects: false,
      },
      context,
    );
  }
}
