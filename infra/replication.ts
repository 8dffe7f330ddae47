import { RemovalPolicy } from 'aws-cdk-lib';
import { TableEncryptionV2, TableV2, type ITableV2, type TablePropsV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, ReplicationTimeValue, type BucketProps, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, PEER_ENV, type EnvName } from '../shared/env-names.ts';
import type { BaseStack } from './base-stack.ts';
import type { DgovFunction } from './constructs/dgov-function.ts';
import { arnIn, crossRegionNames, queueUrlIn, type RegionRole } from './regions.ts';
import type { StageConfig } from './stage.ts';

/**
 * Data in two regions (README, "Two regions: the DR runbook"): global tables, buckets replicated with Replication Time
 * Control, queues the other region can fail over to, and the grants that let a function reach
 * the other region's copy of what it uses at home.
 */

/** Every bucket that replicates to the other region, by role; the base stack makes a DR copy of each. */
export const REPLICATED_BUCKETS = {
  audit: { drCopyId: 'AuditDrCopy', objectLock: true },
} as const satisfies Record<string, { drCopyId: string; objectLock: boolean }>;
export type ReplicatedBucketRole = keyof typeof REPLICATED_BUCKETS;

/** PITR window of every table (the DynamoDB maximum). */
export const PITR_DAYS = 35;

/** What a stateful stack knows about where it is. */
export interface RegionContext {
  config: StageConfig;
  role: RegionRole;
  base: BaseStack;
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
export const globalTablesOf = (scope: Construct) => globalTables.get(scope) ?? [];

export type GlobalTableProps = Omit<
  TablePropsV2,
  'tableName' | 'replicas' | 'encryption' | 'pointInTimeRecovery' | 'pointInTimeRecoverySpecification' | 'deletionProtection' | 'removalPolicy'
>;

/**
 * A DynamoDB global table named `dgov-<stage>-<name>`: declared in the primary region with its
 * replica in the other region, encrypted in each with the multi-Region data key, PITR for 35
 * days, deletion-protected and retained in prod. In the replica region the same call returns
 * the local replica (same name), so both stacks read alike: `this.x = globalTable(this, …)`.
 */
export function globalTable(scope: Construct, id: string, name: string, props: GlobalTableProps, context: RegionContext): ITableV2 {
  const { config, role, base } = context;
  const tableName = crossRegionNames.globalTable(config.stage, name);
  let table: ITableV2;
  if (role.primary) {
    table = new TableV2(scope, id, {
      ...props,
      tableName,
      encryption: TableEncryptionV2.customerManagedKey(base.dataKey.key, { [role.peer]: base.dataKey.arnIn(role.peer) }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: PITR_DAYS },
      deletionProtection: config.retainData,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      replicas: [{ region: role.peer }],
    });
  } else {
    table = TableV2.fromTableAttributes(scope, id, { tableName, encryptionKey: base.dataKey.key, grantIndexPermissions: true });
  }
  peers.set(table, { kind: 'table', region: role.peer, tableArn: arnIn(scope, 'dynamodb', role.peer, `table/${tableName}`), keyArn: base.dataKey.arnIn(role.peer) });
  globalTables.set(scope, [...globalTablesOf(scope), { tableName, table }]);
  return table;
}

/**
 * A bucket that replicates every object to its DR copy in the other region (made by that
 * region's base stack) with S3 Replication Time Control (99.99 % within 15 minutes) and its
 * metrics, re-encrypted there with the data key; versioned and logging to the access-log bucket.
 * Delete markers are not replicated: deleting here never deletes the DR copy.
 */
export function replicatedBucket(scope: Construct, id: string, bucketRole: ReplicatedBucketRole, props: BucketProps, context: RegionContext): Bucket {
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
    new PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [bucket.bucketArn] }),
  );
  replicationRole.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging', 's3:GetObjectRetention', 's3:GetObjectLegalHold'],
      resources: [bucket.arnForObjects('*')],
    }),
  );
  replicationRole.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], resources: [destination.arnForObjects('*')] }),
  );
  if (bucket.encryptionKey) bucket.encryptionKey.grantDecrypt(replicationRole);
  replicationRole.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: [destinationKey.keyArn] }));
  replications.set(bucket, { ruleId, destinationBucketName, destinationRegion: role.peer });
  return bucket;
}

/** Records that a queue has a counterpart of the same name in the other region (for failover). */
export function withPeerQueue<Q extends IQueue>(queue: Q, queueName: string, context: RegionContext): Q {
  const { role } = context;
  peers.set(queue, { kind: 'queue', region: role.peer, queueArn: arnIn(queue, 'sqs', role.peer, queueName), queueUrl: queueUrlIn(queue, role.peer, queueName) });
  return queue;
}

/**
 * Called by DgovFunction.useTable/useQueue: when the resource has a counterpart in the other
 * region, grant the same access there and tell the function where it is, so its clients can
 * fail over. Describing (what /health does) stays at home.
 */
export function grantPeerAccess(fn: DgovFunction, envName: string, resource: object, access: 'describe' | 'read' | 'readWrite' | 'send' | 'consume'): void {
  const peer = peers.get(resource);
  if (!peer || access === 'describe') return;
  if (peer.kind === 'table') {
    const table = TableV2.fromTableAttributes(fn, `Peer${envName}`, {
      tableArn: peer.tableArn,
      encryptionKey: Key.fromKeyArn(fn, `Peer${envName}Key`, peer.keyArn),
      grantIndexPermissions: true,
    });
    if (access === 'read') table.grantReadData(fn.fn);
    else table.grantReadWriteData(fn.fn);
    fn.fn.addEnvironment(ENV.peerRegion, peer.region);
    return;
  }
  const peerEnv = PEER_ENV[envName as EnvName];
  if (access !== 'send' || !peerEnv) return; // consumers read their own region's queue
  Queue.fromQueueAttributes(fn, `Peer${envName}`, { queueArn: peer.queueArn, queueUrl: peer.queueUrl }).grantSendMessages(fn.fn);
  fn.fn.addEnvironment(ENV.peerRegion, peer.region);
  fn.fn.addEnvironment(peerEnv, peer.queueUrl);
}
