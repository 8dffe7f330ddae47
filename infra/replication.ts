import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  TableEncryptionV2,
  TableV2,
  type ITableV2,
  type TablePropsV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, ReplicationTimeValue, type BucketProps, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ENV, PEER_ENV, type EnvName } from '../shared/env-names.ts';
import type { RegionalKey } from './keys.ts';
import { arnIn, crossRegionNames, queueUrlIn, type RegionRole } from './regions.ts';
import type { StageConfig } from './stage.ts';

/**
 * Data in two regions (README, "Two regions: the DR runbook"): global tables, buckets replicated with Replication Time
 * Control, queues the other region can fail over to, and the grants that let a function reach
 * the other region's copy of what it uses at home.
 */

/** A bucket that replicates to the other region; the base stack there makes its DR copy. */
export interface ReplicatedBucketSpec {
  /** Whether its objects carry Object Lock retention, which the DR copy must then allow. */
  objectLock: boolean;
}

/** PITR window of every table (the DynamoDB maximum). */
const PITR_DAYS = 35;

/** What of the region's base stack the stateful resources need. */
export interface RegionBase {
  /** Multi-Region: encrypts the global tables' replicas here and the DR copies. */
  dataKey: RegionalKey;
  /** S3 server access logs of every bucket in this region. */
  accessLogs: IBucket;
}

/** What a stateful stack knows about where it is. */
export interface RegionContext {
  config: StageConfig;
  role: RegionRole;
  base: RegionBase;
}

/** The other region's copy of a resource, for failover. */
type Peer =
  | { kind: 'table'; region: string; tableArn: string; keyArn: string }
  | { kind: 'queue'; region: string; queueArn: string; queueUrl: string };
const peers = new WeakMap<object, Peer>();

/** The S3 replication rule of a bucket, for its latency alarm. */
export interface BucketReplication {
  ruleId: string;
  destinationBucketName: string;
  destinationRegion: string;
}
const replications = new WeakMap<IBucket, BucketReplication>();
export const replicationOf = (bucket: IBucket): BucketReplication | undefined => replications.get(bucket);

/** Global tables by the stack that declared (primary) or imported (replica) them, for alarms and tests. */
const globalTables = new WeakMap<Construct, { tableName: string; table: ITableV2 }[]>();
export const globalTablesOf = (stack: Construct) => globalTables.get(stack) ?? [];

/** Single-table designs: pk/sk strings, items that expire by `expiresAt`. */
export const SINGLE_TABLE: GlobalTableProps = {
  partitionKey: { name: 'pk', type: AttributeType.STRING },
  sortKey: { name: 'sk', type: AttributeType.STRING },
  billing: Billing.onDemand(),
  timeToLiveAttribute: 'expiresAt',
};

export type GlobalTableProps = Omit<
  TablePropsV2,
  | 'tableName'
  | 'replicas'
  | 'encryption'
  | 'pointInTimeRecovery'
  | 'pointInTimeRecoverySpecification'
  | 'deletionProtection'
  | 'removalPolicy'
>;

/**
 * A DynamoDB global table named `dgov-<stage>-<name>`: declared in the primary region with its
 * replica in the other region, encrypted in each with the multi-Region data key, PITR for 35
 * days, deletion-protected and retained in prod. In the replica region the same call returns
 * the local replica (same name), so both stacks read alike: `this.x = globalTable(this, …)`.
 */
export function globalTable(
  scope: Construct,
  id: string,
  name: string,
  props: GlobalTableProps,
  context: RegionContext,
): ITableV2 {
  const { config, role, base } = context;
  const tableName = crossRegionNames.globalTable(config.stage, name);
  let table: ITableV2;
  if (role.primary) {
    table = new TableV2(scope, id, {
      ...props,
      tableName,
      encryption: TableEncryptionV2.customerManagedKey(base.dataKey.key, {
        [role.peer]: base.dataKey.arnIn(role.peer),
      }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: PITR_DAYS },
      deletionProtection: config.retainData,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      replicas: [{ region: role.peer }],
    });
  } else {
    table = TableV2.fromTableAttributes(scope, id, {
      tableName,
      encryptionKey: base.dataKey.key,
      grantIndexPermissions: true,
    });
  }
  peers.set(table, {
    kind: 'table',
    region: role.peer,
    tableArn: arnIn(scope, 'dynamodb', role.peer, `table/${tableName}`),
    keyArn: base.dataKey.arnIn(role.peer),
  });
  const stack = Stack.of(scope);
  globalTables.set(stack, [...globalTablesOf(stack), { tableName, table }]);
  return table;
}

/**
 * A bucket that replicates every object to its DR copy in the other region (made by that
 * region's base stack) with S3 Replication Time Control (99.99 % within 15 minutes) and its
 * metrics, re-encrypted there with the data key; versioned and logging to the access-log bucket.
 * Delete markers are not replicated: deleting here never deletes the DR copy.
 */
export function replicatedBucket(
  scope: Construct,
  id: string,
  bucketRole: string,
  props: BucketProps,
  context: RegionContext,
): Bucket {
  const { config, role, base } = context;
  const destinationBucketName = crossRegionNames.drBucket(scope, config.stage, bucketRole, role.peer);
  const destination = Bucket.fromBucketName(scope, `${id}DrCopy`, destinationBucketName);
  const destinationKey = Key.fromKeyArn(scope, `${id}DrCopyKey`, base.dataKey.arnIn(role.peer));
  const replicationRole = new Role(scope, `${id}ReplicationRole`, {
    assumedBy: new ServicePrincipal('s3.amazonaws.com'),
    description: `Replicates the ${bucketRole} bucket to ${role.peer}`,
  });
  const ruleId = `${bucketRole}-to-${role.peer}`;
  const bucket = new Bucket(scope, id, {
    ...props,
    versioned: true,
    serverAccessLogsBucket: base.accessLogs,
    serverAccessLogsPrefix: `${bucketRole}/`,
    replicationRole,
    replicationRules: [
      {
        id: ruleId,
        destination,
        replicationTimeControl: ReplicationTimeValue.FIFTEEN_MINUTES,
        metrics: ReplicationTimeValue.FIFTEEN_MINUTES,
        kmsKey: destinationKey,
        sseKmsEncryptedObjects: true,
        deleteMarkerReplication: false,
      },
    ],
  });
  // The replication role reads this bucket's versions (with their Object Lock retention) and
  // writes replicas into the DR copy: nothing else.
  replicationRole.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
      resources: [bucket.bucketArn],
    }),
  );
  replicationRole.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [
        's3:GetObjectVersionForReplication',
        's3:GetObjectVersionAcl',
        's3:GetObjectVersionTagging',
        's3:GetObjectRetention',
        's3:GetObjectLegalHold',
      ],
      resources: [bucket.arnForObjects('*')],
    }),
  );
  replicationRole.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      resources: [destination.arnForObjects('*')],
    }),
  );
  if (bucket.encryptionKey) bucket.encryptionKey.grantDecrypt(replicationRole);
  replicationRole.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [destinationKey.keyArn],
    }),
  );
  replications.set(bucket, { ruleId, destinationBucketName, destinationRegion: role.peer });
  return bucket;
}

/** Records that a queue has a counterpart of the same name in the other region (for failover). */
export function withPeerQueue<Q extends IQueue>(queue: Q, queueName: string, context: RegionContext): Q {
  const { role } = context;
  peers.set(queue, {
    kind: 'queue',
    region: role.peer,
    queueArn: arnIn(queue, 'sqs', role.peer, queueName),
    queueUrl: queueUrlIn(queue, role.peer, queueName),
  });
  return queue;
}

/**
 * Called by DgovFunction.useTable/useQueue: when the resource has a counterpart in the other
 * region, grant the same access there and tell the function where it is, so its clients can
 * fail over. Describing (what /health does) stays at home. Answers whether it told the function
 * where the other region is.
 */
export function grantPeerAccess(
  scope: Construct,
  fn: LambdaFunction,
  envName: string,
  resource: object,
  access: 'describe' | 'read' | 'readWrite' | 'send' | 'consume',
): boolean {
  const peer = peers.get(resource);
  if (!peer || access === 'describe') return false;
  if (peer.kind === 'table') {
    // A second use of the same table (read, then readWrite) grants again on the same import.
    const table =
      (scope.node.tryFindChild(`Peer${envName}`) as ITableV2 | undefined) ??
      TableV2.fromTableAttributes(scope, `Peer${envName}`, {
        tableArn: peer.tableArn,
        encryptionKey: Key.fromKeyArn(scope, `Peer${envName}Key`, peer.keyArn),
        grantIndexPermissions: true,
      });
    if (access === 'read') table.grantReadData(fn);
    else table.grantReadWriteData(fn);
    fn.addEnvironment(ENV.peerRegion, peer.region);
    return true;
  }
  const peerEnv = PEER_ENV[envName as EnvName];
  if (access !== 'send' || !peerEnv) return false; // consumers read their own region's queue
  const queue = Queue.fromQueueAttributes(scope, `Peer${envName}`, {
    queueArn: peer.queueArn,
    queueUrl: peer.queueUrl,
  });
  queue.grantSendMessages(fn);
  fn.addEnvironment(ENV.peerRegion, peer.region);
  fn.addEnvironment(peerEnv, peer.queueUrl);
  return true;
}
