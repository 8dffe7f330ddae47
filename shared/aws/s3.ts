import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from '../observability.ts';
import { clientOptions, usesCustomEndpoint } from './client-options.ts';
import { namedDependency } from './unavailable.ts';

export const s3 = namedDependency(
  tracer.captureAWSv3Client(new S3Client({ ...clientOptions, forcePathStyle: usesCustomEndpoint() })),
  's3',
);
