import { ForbiddenError, MethodNotAllowedError, NotFoundError } from '../../shared/errors.ts';
import {
  type IsRegisteredOrigin,
  isPreflight,
  preflightHeaders,
  registeredOrigins,
  requestOrigin,
} from '../../shared/cors.ts';
import { httpHandler, type RouteHandler } from '../../shared/http.ts';
import { defineRoute } from '../../shared/route-contract.ts';
import { allRoutes } from '../routes.ts';
import { allowedMethods } from './domain.ts';

/**
 * Serves the HTTP API's $default route, so unknown routes get problem+json in the cloud too, and
 * `OPTIONS /{proxy+}`, the CORS preflight of every route (shared/cors.ts).
 */
export const fallbackRoute = defineRoute({
  method: 'GET',
  path: '$default',
  operationId: 'fallback',
  summary: 'Unmatched routes and CORS preflights',
  tags: [],
  auth: 'none',
  responses: {
    204: { description: 'CORS preflight from a registered origin' },
    403: { description: 'CORS preflight from an origin no client registered' },
    404: { description: 'Unknown route' },
    405: { description: 'Known path, other method' },
  },
});

export const fallbackFor =
  (isRegisteredOrigin: IsRegisteredOrigin): RouteHandler<typeof fallbackRoute> =>
  async (request) => {
    const path = request.raw.rawPath;
    const method = request.raw.requestContext.http.method.toUpperCase();
    const allowed = allowedMethods(allRoutes, path);
    if (allowed.length > 0 && isPreflight(request.raw, request.headers)) {
      const origin = requestOrigin(request.headers);
      if (!origin || !(await isRegisteredOrigin(origin)))
        throw new ForbiddenError('the Origin is not that of a registered client; register its redirect URI');
      return { statusCode: 204, headers: preflightHeaders(origin, [...allowed, 'OPTIONS']) };
    }
    if (allowed.length > 0 && !allowed.includes(method as never)) {
      throw new MethodNotAllowedError(`${method} is not served on ${path}; use ${allowed.join(' or ')}`, allowed);
    }
    throw new NotFoundError(`no route serves ${method} ${path}`);
  };

export const fallback = fallbackFor(registeredOrigins);

export const handler = httpHandler(fallbackRoute, fallback);
