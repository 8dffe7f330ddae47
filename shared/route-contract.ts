import type * as z from 'zod/mini';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One route of the public HTTP API. The same object drives request validation (shared/http.ts),
 * the route in CDK (infra/) and the OpenAPI document (functions/openapi/), so the three cannot drift.
 */
export interface RouteContract {
  method: HttpMethod;
  /** API Gateway path syntax: /licences/{licenceId} */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** 'jwt' puts the HTTP API's JWT authorizer in front; 'none' is public. */
  auth: 'none' | 'jwt';
  scopes?: string[];
  params?: z.ZodMiniType;
  query?: z.ZodMiniType;
  body?: z.ZodMiniType;
  bodyType?: 'json' | 'form';
  responses: Record<number, { description: string; schema?: z.ZodMiniType; contentType?: string }>;
}

export const defineRoute = <C extends RouteContract>(contract: C): C => contract;
export const routeKey = (route: Pick<RouteContract, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** Audience of access tokens for this platform's own APIs; the HTTP API's JWT authorizer requires it. */
export const API_AUDIENCE = 'dgov-api';
