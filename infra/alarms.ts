import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { DgovFunction } from './constructs/dgov-function.ts';
import { globalTablesOf, replicationOf } from './replication.ts';
import type { RegionRole } from './regions.ts';

/** `Orders/DeadLetters` → `OrdersDeadLetters`: unique in its stack, where node ids alone repeat across capabilities. */
const nameInStack = (construct: IConstruct): string =>
  construct.node.scopes
    .slice(1)
    .map((scope) => scope.node.id)
    .join('');

/** Thresholds, in one place (README, DR runbook). */
export const ALARM_THRESHOLDS = {
  /** 5xx answers of the HTTP API within 5 minutes. */
  api5xxPer5Minutes: 5,
  /** S3 RTC promises 15 minutes; alarm as soon as one object is slower. */
  s3ReplicationLatencySeconds: 15 * 60,
  /** DynamoDB global tables replicate in about a second; a minute means the pair is falling apart. */
  tableReplicationLatencyMs: 60_000,
} as const;

/** The metric a capability publishes (Powertools, namespace dgov, dimension service) when it breaches an SLA. */
export const SLA_BREACH_METRIC = 'slaBreached';

export interface RegionalAlarmsProps {
  role: RegionRole;
  /** Encrypts the alarm topic (the region's operations key). */
  topicKey: IKey;
  api: HttpApi;
  /** The stateful stack: its dead-letter queues, replicated buckets and global tables are watched. */
  data: Construct;
  /** Every function: a queue consumer's or a schedule's failure has no caller to see it, so each gets an alarm. */
  functions: DgovFunction[];
  /** Alarm e-mails go here (context `alarmEmail`); without it, subscribe to the topic yourself. */
  email?: string;
}

/**
 * The region's alarms, all notifying one encrypted SNS topic: HTTP API 5xx, any message in a
 * dead-letter queue, SLA breaches, and replication latency (S3 RTC and the global tables).
 */
export class RegionalAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: RegionalAlarmsProps,
  ) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: `dgov alarms (${props.role.home})`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    this.alarm('Api5xx', props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), {
      threshold: ALARM_THRESHOLDS.api5xxPer5Minutes,
      description: 'The HTTP API answered 5xx: a function fails or a dependency is down (see /health)',
    });

    // Every queue that is some queue's dead-letter queue: one message there is one failed event.
    const deadLetters = new Set(
      props.data.node
        .findAll()
        .filter((node): node is Queue => node instanceof Queue && node.deadLetterQueue !== undefined)
        .map((queue) => queue.deadLetterQueue!.queue),
    );
    for (const dlq of deadLetters) {
      this.alarm(
        `${nameInStack(dlq)}Depth`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        {
          threshold: 0,
          comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
          description: `${nameInStack(dlq)} holds messages that failed 5 times: inspect, fix, redrive`,
        },
      );
    }

    for (const fn of props.functions.filter((candidate) => candidate.publishesSlaBreaches))
      this.slaBreach(fn.serviceName);

    // HTTP functions answer their callers, and their failures are the API's 5xx (alarmed above).
    for (const fn of props.functions.filter((candidate) => candidate.kind !== 'http')) {
      this.alarm(`${fn.serviceName}Errors`, fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
        threshold: 0,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `${fn.serviceName} (${fn.kind}) failed: see its log group`,
      });
    }

    for (const bucket of props.data.node.findAll().filter((node): node is Bucket => node instanceof Bucket)) {
      const replication = replicationOf(bucket);
      if (!replication) continue;
      const dimensionsMap = {
        SourceBucket: bucket.bucketName,
        DestinationBucket: replication.destinationBucketName,
        RuleId: replication.ruleId,
      };
      this.alarm(
        `${nameInStack(bucket)}ReplicationLatency`,
        new Metric({
          namespace: 'AWS/S3',
          metricName: 'ReplicationLatency',
          dimensionsMap,
          statistic: 'Maximum',
          period: Duration.minutes(5),
        }),
        {
          threshold: ALARM_THRESHOLDS.s3ReplicationLatencySeconds,
          description: `${nameInStack(bucket)} replicates to ${replication.destinationRegion} slower than the 15-minute RTC threshold`,
        },
      );
      this.alarm(
        `${nameInStack(bucket)}ReplicationFailed`,
        new Metric({
          namespace: 'AWS/S3',
          metricName: 'OperationsFailedReplication',
          dimensionsMap,
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        {
          threshold: 0,
          comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
          description: `${nameInStack(bucket)}: objects failed to replicate to ${replication.destinationRegion}`,
        },
      );
    }

    for (const { tableName } of globalTablesOf(props.data)) {
      this.alarm(
        `${tableName}ReplicationLatency`,
        new Metric({
          namespace: 'AWS/DynamoDB',
          metricName: 'ReplicationLatency',
          dimensionsMap: { TableName: tableName, ReceivingRegion: props.role.peer },
          statistic: 'Average',
          period: Duration.minutes(5),
        }),
        {
          threshold: ALARM_THRESHOLDS.tableReplicationLatencyMs,
          description: `${tableName} replicates to ${props.role.peer} in more than a minute`,
        },
      );
    }
  }

  /**
   * The SLA hook: an alarm on `slaBreached` (namespace dgov, dimension service) published by
   * `service` (a function whose manifest says `publishesSlaBreaches`), one per deadline passed unresolved.
   */
  slaBreach(service: string): Alarm {
    return this.alarm(
      `${service}SlaBreach`,
      new Metric({
        namespace: 'dgov',
        metricName: SLA_BREACH_METRIC,
        dimensionsMap: { service },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      {
        threshold: 0,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `${service}: a deadline passed (SLA breached)`,
      },
    );
  }

  private alarm(
    id: string,
    metric: IMetric,
    options: { threshold: number; comparison?: ComparisonOperator; description: string },
  ): Alarm {
    const alarm = new Alarm(this, id.replace(/[^A-Za-z0-9]/g, ''), {
      metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `${options.description} (${this.props.role.home})`,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
