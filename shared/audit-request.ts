import { AsyncLocalStorage } from 'node:async_hooks';

/** The request an audit event belongs to: the server's id (the gateway's) and the caller's x-request-id. */
export interface RequestIds {
  server: string;
  caller?: string;
}

/**
 * The ids of the request whose handler is running, carried by the async context.
 *
 * Not a map keyed by id, though an AsyncLocalStorage turns on async hooks for the whole sandbox (a
 * promise then costs 0.41 µs instead of 0.14 in a payments sandbox; deployed functions trace with the
 * X-Ray SDK in automatic mode, whose hooks are on anyway). The id a handler hands its audit calls is
 * the caller's, so with a map a caller could name another request's server id, requests sharing one
 * caller id could not be told apart, and work a handler left running took the ids of the next request
 * with its caller id (a retry). Only the context tells them apart; test/unit/audit/request-ids.test.ts
 * holds each case.
 */
const scope = new AsyncLocalStorage<RequestIds>();

/** Runs a request's handler with its ids in scope, so every audit event it emits carries both. */
export const withRequestIds = <T>(ids: RequestIds | undefined, run: () => Promise<T>): Promise<T> =>
  ids ? scope.run(ids, run) : run();

/** The ids of the request in scope when `requestId` is one of them; undefined outside a request, or for another id. */
export function requestIdsFor(requestId: string): RequestIds | undefined {
  const ids = scope.getStore();
  return ids && (requestId === ids.server || requestId === ids.caller) ? ids : undefined;
}
