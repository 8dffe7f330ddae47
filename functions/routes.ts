import type { RouteContract } from '../shared/route-contract.ts';
import { allFunctions } from './capabilities.ts';

/**
 * Every public route, by the service that serves it, derived from the capability manifests.
 * infra/ declares the HTTP API's routes from the manifests, the OpenAPI document is generated
 * from this list, and the fallback function uses it to tell 404 from 405.
 */
export const routesByFunction: Readonly<Record<string, readonly RouteContract[]>> = Object.fromEntries(
  allFunctions.filter((fn) => fn.routes).map((fn) => [fn.service, fn.routes!]),
);

export const allRoutes: readonly RouteContract[] = allFunctions.flatMap((fn) => fn.routes ?? []);
