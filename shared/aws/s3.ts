import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from '../observability.ts';
import { clientOptions, usesCustomEndpoint } from './client-options.ts';

export const s3 = tracer.captureAWSv3Client(new S3Client({ ...clientOptions, forcePathStyle: usesCustomEndpoint() }));
