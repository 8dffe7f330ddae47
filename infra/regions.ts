import { Aws, Fn, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { StageConfig } from './stage.ts';

/**
 * The two regions of a stage and the names by which one region addresses the other.
 *
 * Every stack lives in one region; the app builds the same three layers in both:
 *   base       keys, the access-log bucket, the DR copies of the other region's buckets
 *   stateful   tables (global, homed in the primary region), buckets, queues
 *   stateless  functions, the HTTP API, alarms, DNS
 * Nothing here is a CloudFormation cross-region reference: what one region needs of the
 * other is a name or ARN both can compute from the stage, the account and the region
 * (multi-Region KMS keys share their key id across regions; global tables share their name).
 */
export type Layer = 'base' | 'stateful' | 'stateless';

/** `dgov-prod-stateful-cn-north-1`. */
export const stackName = (stage: string, layer: Layer, region: string): string => `dgov-${stage}-${layer}-${region}`;

/** Where a region sits in its stage's pair. */
export interface RegionRole {
  home: string;
  peer: string;
  /** The primary region holds the global tables' definitions and the multi-Region keys' primaries. */
  primary: boolean;
}

export const regionRole = (config: Pick<StageConfig, 'primaryRegion' | 'replicaRegion'>, home: string): RegionRole => {
  if (home !== config.primaryRegion && home !== config.replicaRegion)
    throw new Error(`${home} is neither the primary nor the replica region`);
  return {
    home,
    peer: home === config.primaryRegion ? config.replicaRegion : config.primaryRegion,
    primary: home === config.primaryRegion,
  };
};

/** aws, aws-cn or aws-us-gov: a global table, an S3 replication rule or a multi-Region key cannot span two. */
const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

export function assertOnePartition(config: Pick<StageConfig, 'primaryRegion' | 'replicaRegion'>): void {
  if (partitionOf(config.primaryRegion) !== partitionOf(config.replicaRegion)) {
    throw new Error(
      `primaryRegion ${config.primaryRegion} and replicaRegion ${config.replicaRegion} are in different partitions; global tables, S3 replication and multi-Region keys need both in one`,
    );
  }
}

/** The stack's account when it is known at synth time, else the deploy-time pseudo parameter (both regions share one account). */
export const accountOf = (scope: IConstruct): string => {
  const account = Stack.of(scope).account;
  return Token.isUnresolved(account) ? Aws.ACCOUNT_ID : account;
};

/** A partition-aware ARN in any region of this stack's partition and account. */
export const arnIn = (scope: IConstruct, service: string, region: string, resource: string): string =>
  `arn:${Aws.PARTITION}:${service}:${region}:${accountOf(scope)}:${resource}`;

/**
 * Physical names of the resources the other region addresses. They are derived here, from the
 * stage (and for buckets the account and region, bucket names being global), never typed per
 * resource; every other resource is named by CloudFormation.
 */
export const crossRegionNames = {
  /** A global table has one name in every region. */
  globalTable: (stage: string, role: string): string => `dgov-${stage}-${role}`,
  /** A queue the other region's functions fail over to. */
  queue: (stage: string, role: string): string => `dgov-${stage}-${role}`,
  /** The DR copy, in `region`, of the other region's `role` bucket. */
  drBucket: (scope: IConstruct, stage: string, role: string, region: string): string =>
    Fn.join('', [`dgov-${stage}-${role}-dr-`, accountOf(scope), `-${region}`]),
  /** A multi-Region key's alias, the same in both regions. */
  keyAlias: (stage: string, role: string): string => `alias/dgov-${stage}-${role}`,
};

/** The queue URL of `name` in `region` (same account). */
export const queueUrlIn = (scope: IConstruct, region: string, name: string): string =>
  `https://sqs.${region}.${Aws.URL_SUFFIX}/${accountOf(scope)}/${name}`;
