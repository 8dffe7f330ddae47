import { Duration } from 'aws-cdk-lib';
import { AttributeType, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INDEXES } from '../../../functions/hotline/dynamodb/tickets.ts';
import { globalTable, SINGLE_TABLE } from '../../replication.ts';
import type { DataContext } from '../capability.ts';

/** The router's longest run; the routing queue keeps a message invisible for 6× that. */
export const ROUTER_TIMEOUT = Duration.seconds(30);
const string = (name: string) => ({ name, type: AttributeType.STRING });

/**
 * Tickets (one item each, with their history), duplicate claims, and the indexes of the work queues
 * (by department, escalations), the SLA sweeper (pending timers) and Open311 (by filer); the routing
 * queue and its DLQ (after 5 receives; an alarm watches its depth, infra/alarms.ts).
 */
export class HotlineData extends Construct {
  readonly table: ITableV2;
  readonly routingQueue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, context: DataContext) {
    super(scope, id);
    this.table = globalTable(
      this,
      'Table',
      'hotline',
      {
        ...SINGLE_TABLE,
        globalSecondaryIndexes: [
          { indexName: INDEXES.byDepartment, partitionKey: string('department'), sortKey: string('createdAt') },
          { indexName: INDEXES.escalations, partitionKey: string('escalatedTo'), sortKey: string('createdAt') },
          { indexName: INDEXES.timers, partitionKey: string('timerShard'), sortKey: string('nextTimerAt') },
          { indexName: INDEXES.byFiler, partitionKey: string('filerKey'), sortKey: string('createdAt') },
        ],
      },
      context,
    );
    this.deadLetters = new Queue(this, 'RoutingDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      removalPolicy: context.removalPolicy,
    });
    this.routingQueue = new Queue(this, 'RoutingQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(ROUTER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      enforceSSL: true,
      removalPolicy: context.removalPolicy,
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });
  }
}
