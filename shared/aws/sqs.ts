import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { PEER_ENV } from '../env-names.ts';
import { tracer } from '../observability.ts';
import { clientOptions } from './client-options.ts';
import { failoverSqsClient } from './failover.ts';
import { namedDependency } from './unavailable.ts';

// Queue URLs name a host (sqs.<region>.localhost for emulators) that need not resolve;
// the configured endpoint is the one to call, in the cloud and locally alike.
/** The home region only: what /health probes. */
export const sqs = namedDependency(
  tracer.captureAWSv3Client(new SQSClient({ ...clientOptions, useQueueUrlAsEndpoint: false } as SQSClientConfig)),
  'sqs',
);

/** Home queue URL → the other region's counterpart, from the variable pairs infra sets (PEER_ENV). */
const peerQueues = Object.fromEntries(
  Object.entries(PEER_ENV).flatMap(([home, peer]) =>
    process.env[home] && process.env[peer!] ? [[process.env[home]!, process.env[peer!]!]] : [],
  ),
);

/** Sending: the home region, failing over to the other region's queue of the same name when home is unreachable. */
export const queues = failoverSqsClient(peerQueues);
