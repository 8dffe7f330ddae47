import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { clientOptions } from './client-options.ts';

// Queue URLs name a host (sqs.<region>.localhost for emulators) that need not resolve;
// the configured endpoint is the one to call, in the cloud and locally alike.
export const sqs = new SQSClient({ ...clientOptions, useQueueUrlAsEndpoint: false } as SQSClientConfig);
