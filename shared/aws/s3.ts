import { S3Client } from '@aws-sdk/client-s3';
import { clientOptions, usesCustomEndpoint } from './client-options.ts';

export const s3 = new S3Client({ ...clientOptions, forcePathStyle: usesCustomEndpoint() });
