import type { RouteContract } from '../shared/route-contract.ts';
import { getHealthRoute } from './health/contract.ts';
import { identityRoutes } from './identity/contract.ts';
import { getOpenApiRoute } from './openapi/contract.ts';

/**
 * Every public route, by the function that serves it. infra/ declares the HTTP API's
 * routes from this list, the OpenAPI document is generated from it, and the fallback
 * function uses it to tell 404 from 405.
 */
export const routesByFunction = {
  health: [getHealthRoute],
  openapi: [getOpenApiRoute],
  identity: identityRoutes,
} as const satisfies Record<string, readonly RouteContract[]>;

export const allRoutes: readonly RouteContract[] = Object.values(routesByFunction).flat();
