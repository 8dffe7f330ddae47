import { MethodNotAllowedError, NotFoundError } from '../../shared/errors.ts';
import { httpHandler, type RouteHandler } from '../../shared/http.ts';
import { defineRoute } from '../../shared/route-contract.ts';
import { allRoutes } from '../routes.ts';
import { allowedMethods } from './domain.ts';

/** Serves the HTTP API's $default route, so unknown routes get problem+json in the cloud too. */
export const fallbackRoute = defineRoute({
  method: 'GET',
  path: '$default',
  operationId: 'fallback',
  summary: 'Unmatched routes',
  tags: [],
  auth: 'none',
  responses: { 404: { description: 'Unknown route' }, 405: { description: 'Known path, other method' } },
});

export const fallback: RouteHandler<typeof fallbackRoute> = async (request) => {
  const path = request.raw.rawPath;
  const method = request.raw.requestContext.http.method.toUpperCase();
  const allowed = allowedMethods(allRoutes, path);
  if (allowed.length > 0 && !allowed.includes(method as never)) {
    throw new MethodNotAllowedError(`${method} is not served on ${path}; use ${allowed.join(' or ')}`, allowed);
  }
  throw new NotFoundError(`no route serves ${method} ${path}`);
};

export const handler = httpHandler(fallbackRoute, fallback);
