import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { dynamodb } from '../../shared/aws/dynamodb.ts';
import { s3 } from '../../shared/aws/s3.ts';
import { sqs } from '../../shared/aws/sqs.ts';
import type { Probes } from './domain.ts';

/** The cheapest read each service offers on a resource this stage owns. */
export const awsProbes = (names: { table: string; queueUrl: string; bucket: string }): Probes => ({
  dynamodb: async () => {
    await dynamodb.send(new DescribeTableCommand({ TableName: names.table }));
  },
  sqs: async () => {
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: names.queueUrl, AttributeNames: ['QueueArn'] }));
  },
  s3: async () => {
    await s3.send(new HeadBucketCommand({ Bucket: names.bucket }));
  },
});
