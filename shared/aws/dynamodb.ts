import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tracer } from '../observability.ts';
import { clientOptions } from './client-options.ts';
import { failoverDocumentClient } from './failover.ts';
import { namedDependency } from './unavailable.ts';

/** The home region only: what /health probes. */
export const dynamodb = namedDependency(tracer.captureAWSv3Client(new DynamoDBClient(clientOptions)), 'dynamodb');
/** Items: the home region, failing over to the other region's replica (DGOV_PEER_REGION) when home is unreachable. */
export const documents = failoverDocumentClient({ home: dynamodb });
