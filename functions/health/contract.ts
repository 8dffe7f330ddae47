import * as z from 'zod/mini';
import { defineRoute } from '../../shared/route-contract.ts';

export const DEPENDENCIES = ['dynamodb', 'sqs', 's3'] as const;
export type DependencyName = (typeof DEPENDENCIES)[number];

const dependencyStatus = z.enum(['ok', 'down']);

export const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  region: z.string(),
  version: z.string(),
  dependencies: z.object({ dynamodb: dependencyStatus, sqs: dependencyStatus, s3: dependencyStatus }),
  detail: z.optional(z.string()),
});
export type Health = z.infer<typeof healthSchema>;

export const getHealthRoute = defineRoute({
  method: 'GET',
  path: '/health',
  operationId: 'getHealth',
  summary: 'Liveness and the state of every dependency (DynamoDB, SQS, S3)',
  tags: ['operations'],
  auth: 'none',
  responses: {
    200: { description: 'Every dependency answers', schema: healthSchema },
    503: { description: 'At least one dependency is down; `detail` names it', schema: healthSchema },
  },
});
