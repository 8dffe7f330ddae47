import { AsyncLocalStorage } from 'node:async_hooks';

/** The request an audit event belongs to: the server's id (the gateway's) and the caller's x-request-id. */
export interface RequestIds {
  server: string;
  caller?: string;
}

const scope = new AsyncLocalStorage<RequestIds>();

/** Runs a request's handler with its ids in scope, so every audit event it emits carries both. */
export const withRequestIds = <T>(ids: RequestIds | undefined, run: () => T): T => (ids ? scope.run(ids, run) : run());

export const currentRequestIds = (): RequestIds | undefined => scope.getStore();
