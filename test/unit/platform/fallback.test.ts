import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { allowedMethods } from '../../../functions/fallback/domain.ts';
import { fallback } from '../../../functions/fallback/handler.ts';
import { allRoutes } from '../../../functions/routes.ts';
import { MethodNotAllowedError, NotFoundError } from '../../../shared/errors.ts';
import type { HttpRequest } from '../../../shared/http.ts';
import { defineRoute, type HttpMethod, type RouteContract } from '../../../shared/route-contract.ts';

const route = (method: HttpMethod, path: string): RouteContract =>
  defineRoute({ method, path, operationId: `${method} ${path}`, summary: '', tags: [], auth: 'none', responses: {} });

const routes = [
  route('GET', '/licences'),
  route('POST', '/licences'),
  route('GET', '/licences/{licenceId}'),
  route('DELETE', '/licences/{licenceId}'),
  route('POST', '/licences/{licenceId}/revocations'),
  route('GET', '/openapi.json'),
];

describe('allowedMethods', () => {
  it('lists every method served on a literal path', () => {
    expect(allowedMethods(routes, '/licences')).toEqual(['GET', 'POST']);
  });

  it('matches a path parameter against one segment', () => {
    expect(allowedMethods(routes, '/licences/L0001')).toEqual(['GET', 'DELETE']);
    expect(allowedMethods(routes, '/licences/L0001/revocations')).toEqual(['POST']);
  });

  it('returns nothing for a path no route serves', () => {
    expect(allowedMethods(routes, '/nowhere')).toEqual([]);
    expect(allowedMethods(routes, '/licences/L0001/extra')).toEqual([]);
    expect(allowedMethods(routes, '/licences/')).toEqual([]);
    expect(allowedMethods(routes, '/licences/a/b/revocations')).toEqual([]);
  });

  it('does not match a prefix or a suffix of a route', () => {
    expect(allowedMethods(routes, '/api/licences')).toEqual([]);
    expect(allowedMethods(routes, '/licences/L0001/revocations/1')).toEqual([]);
  });

  it('treats regular-expression characters in a route literally', () => {
    expect(allowedMethods(routes, '/openapi.json')).toEqual(['GET']);
    expect(allowedMethods(routes, '/openapiXjson')).toEqual([]);
  });

  it('knows the routes this API serves', () => {
    expect(allowedMethods(allRoutes, '/health')).toEqual(['GET']);
    expect(allowedMethods(allRoutes, '/openapi.json')).toEqual(['GET']);
    expect(allowedMethods(allRoutes, '/does-not-exist')).toEqual([]);
  });
});

describe('fallback handler', () => {
  const requestFor = (method: string, rawPath: string) =>
    ({
      body: undefined,
      query: {},
      params: {},
      headers: {},
      requestId: 'r',
      raw: { rawPath, requestContext: { http: { method } } } as unknown as APIGatewayProxyEventV2,
    }) satisfies HttpRequest<undefined>;
  const context = {} as Context;

  it('refuses another method on a known path with 405 and the allowed methods', async () => {
    const refusal = fallback(requestFor('delete', '/health'), context);
    await expect(refusal).rejects.toBeInstanceOf(MethodNotAllowedError);
    await expect(refusal).rejects.toMatchObject({ status: 405, headers: { allow: 'GET' } });
  });

  it('answers an unknown path with 404', async () => {
    await expect(fallback(requestFor('GET', '/nowhere'), context)).rejects.toBeInstanceOf(NotFoundError);
  });
});
