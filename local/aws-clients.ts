import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsEndpoints } from './embedded-aws.ts';

/** Credentials the emulators accept; never real ones, so nothing local can reach a real account. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export function localClients(endpoints: AwsEndpoints, region: string) {
  const common = { region, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 };
  return {
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
  };
}
export type LocalClients = ReturnType<typeof localClients>;

/** The variables a function's AWS SDK reads to reach the local services instead of AWS. */
export const endpointEnvironment = (endpoints: AwsEndpoints): Record<string, string> => ({
  AWS_ENDPOINT_URL: endpoints.sqs,
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  AWS_ENDPOINT_URL_SQS: endpoints.sqs,
  AWS_ENDPOINT_URL_S3: endpoints.s3,
  AWS_ENDPOINT_URL_SNS: endpoints.sns,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  // Lambda runs Node 22; the SDK's warning about this machine's Node 20 is noise here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});
