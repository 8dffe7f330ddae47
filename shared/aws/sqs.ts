import { SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions } from './client-options.ts';

export const sqs = new SQSClient(clientOptions);
