import * as z from 'zod/mini';
import { defineRoute } from '../../shared/route-contract.ts';

export const getOpenApiRoute = defineRoute({
  method: 'GET',
  path: '/openapi.json',
  operationId: 'getOpenApi',
  summary: "This API described as OpenAPI 3.1, generated from the handlers' schemas",
  tags: ['operations'],
  auth: 'none',
  responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
});
