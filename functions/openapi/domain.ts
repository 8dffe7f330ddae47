import * as z from 'zod/mini';
import { problemSchema } from '../../shared/problem-schema.ts';
import { PROBLEM_CONTENT_TYPE } from '../../shared/problem.ts';
import type { RouteContract } from '../../shared/route-contract.ts';

type JsonSchema = Record<string, unknown>;
const jsonSchema = (schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } },
});

/** Path and query parameters as OpenAPI parameter objects, from an object schema. */
function parameters(schema: z.ZodMiniType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const described = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (described.required ?? []).includes(name),
    schema: property,
  }));
}

function operation(route: RouteContract): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = response.schema
      ? {
          description: response.description,
          content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } },
        }
      : { description: response.description };
  }
  if (route.body) {
    responses['400'] ??= problemResponse('Malformed or invalid request; `errors` lists each field');
    responses['413'] ??= problemResponse('Body over 256 KiB');
    responses['415'] ??= problemResponse('Wrong content type');
  }
  if (route.auth === 'jwt') {
    responses['401'] ??= problemResponse('Missing or invalid access token');
    responses['403'] ??= problemResponse('Authenticated but not allowed');
  }
  responses['500'] ??= problemResponse('Unexpected error; carries the request id');
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: route.tags,
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: {
              [route.bodyType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json']: {
                schema: jsonSchema(route.body, 'input'),
              },
            },
          },
        }
      : {}),
    ...(route.auth === 'jwt' ? { security: [{ bearer: route.scopes ?? [] }] } : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly RouteContract[], info: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'dgov — provincial digital-government platform',
      version: info.version,
      description: 'Errors are RFC 9457 problem+json. Money is integer fen (CNY). Times are RFC 3339 UTC.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
