import type { HttpMethod, RouteContract } from '../../shared/route-contract.ts';

const templateToPattern = (path: string): RegExp =>
  new RegExp(
    `^${path
      .split('/')
      .map((part) => (/^\{.+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}$`,
  );

/** The methods the API serves on a path: none means 404, some means 405 with Allow. */
export function allowedMethods(routes: readonly RouteContract[], path: string): HttpMethod[] {
  return routes.filter((route) => templateToPattern(route.path).test(path)).map((route) => route.method);
}
