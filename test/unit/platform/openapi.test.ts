import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { openApiDocument } from '../../../functions/openapi/domain.ts';
import { allRoutes } from '../../../functions/routes.ts';
import { defineRoute } from '../../../shared/route-contract.ts';

type Operation = {
  operationId: string;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
};
const operationOf = (document: ReturnType<typeof openApiDocument>, path: string, method: string) =>
  document.paths[path]?.[method] as Operation | undefined;

describe('openApiDocument for the API', () => {
  const document = openApiDocument(allRoutes, { version: '1.2.3' });

  it('is an OpenAPI 3.1.0 document with the given version', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe('1.2.3');
    expect(document).not.toHaveProperty('servers');
  });

  it('has every route under its path and method, with its operationId', () => {
    expect(allRoutes.length).toBeGreaterThan(0);
    for (const route of allRoutes) {
      const operation = operationOf(document, route.path, route.method.toLowerCase());
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation!.operationId).toBe(route.operationId);
    }
  });

  it('has no operation that is not a route', () => {
    const operations = Object.values(document.paths).flatMap((methods) => Object.keys(methods));
    expect(operations).toHaveLength(allRoutes.length);
  });

  it('describes problem+json in components and points 500s at it', () => {
    const problem = document.components.schemas.Problem as {
      type?: string;
      properties?: Record<string, unknown>;
      required?: string[];
    };
    expect(problem.type).toBe('object');
    expect(Object.keys(problem.properties ?? {})).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'requestId', 'errors']),
    );
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail']));
    expect(problem).not.toHaveProperty('$schema');
    const health = operationOf(document, '/health', 'get')!;
    expect(health.responses['500']?.content?.['application/problem+json']?.schema).toEqual({
      $ref: '#/components/schemas/Problem',
    });
  });

  it('documents the responses a route declares, with their schemas', () => {
    const health = operationOf(document, '/health', 'get')!;
    expect(Object.keys(health.responses)).toEqual(expect.arrayContaining(['200', '503']));
    expect(health.responses['200']?.content?.['application/json']?.schema).toMatchObject({ type: 'object' });
  });
});

describe('openApiDocument for a route with a body, parameters and auth', () => {
  const route = defineRoute({
    method: 'POST',
    path: '/licences/{licenceId}/revocations',
    operationId: 'revokeLicence',
    summary: 'Revoke',
    tags: ['licences'],
    auth: 'jwt',
    scopes: ['licences:write'],
    params: z.object({ licenceId: z.string() }),
    query: z.object({ dryRun: z.optional(z.string()), reason: z.string() }),
    body: z.object({ reason: z.string() }),
    responses: { 201: { description: 'revoked' } },
  });
  const document = openApiDocument([route], { version: '0.0.1', serverUrl: 'https://api.example.test' });
  const operation = operationOf(document, '/licences/{licenceId}/revocations', 'post')!;

  it('lists the server when given one', () => {
    expect(document.servers).toEqual([{ url: 'https://api.example.test' }]);
  });

  it('lists path and query parameters, path ones required', () => {
    expect(operation.parameters).toEqual([
      expect.objectContaining({ name: 'licenceId', in: 'path', required: true }),
      expect.objectContaining({ name: 'dryRun', in: 'query', required: false }),
      expect.objectContaining({ name: 'reason', in: 'query', required: true }),
    ]);
  });

  it('describes the JSON request body and the errors a body can cause', () => {
    expect(Object.keys(operation.requestBody?.content ?? {})).toEqual(['application/json']);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['201', '400', '413', '415', '500']));
  });

  it('asks for a bearer token with the route scopes, and documents 401 and 403', () => {
    expect(operation.security).toEqual([{ bearer: ['licences:write'] }]);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('uses the form media type for a form body', () => {
    const form = defineRoute({ ...route, path: '/token', bodyType: 'form' });
    const formOperation = operationOf(openApiDocument([form], { version: '0' }), '/token', 'post')!;
    expect(Object.keys(formOperation.requestBody?.content ?? {})).toEqual(['application/x-www-form-urlencoded']);
  });
});
