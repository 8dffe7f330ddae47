import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tracer } from '../observability.ts';
import { clientOptions } from './client-options.ts';
import { failoverDocumentClient, regionalDocumentClients } from './failover.ts';
import { namedDependency } from './unavailable.ts';

/** The home region only: what /health probes. */
export const dynamodb = namedDependency(tracer.captureAWSv3Client(new DynamoDBClient(clientOptions)), 'dynamodb');
/** Items: the home region, failing over to the other region's replica (DGOV_PEER_REGION) when home is unreachable. */
export const documents = failoverDocumentClient({ home: dynamodb });
/** Each region's tables without failover (the home region's client above, and the peer's): for items with a home region. */
export const regionDocuments = regionalDocumentClients({ home: dynamodb });
