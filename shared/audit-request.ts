/** The request an audit event belongs to: the server's id (the gateway's) and the caller's x-request-id. */
export interface RequestIds {
  server: string;
  caller?: string;
}

/**
 * The ids of the requests being served, by the id their handler sees and hands to its audit calls
 * (the caller's when it sent one, else the server's) and by the server's.
 *
 * Not an AsyncLocalStorage: on Node 20 and 22 the first one in use turns on async hooks for the
 * whole sandbox, after which every promise costs about three times as much (0.41 against 0.14 µs,
 * measured in a payments sandbox), and one request makes thousands through the SDK. A sandbox
 * serves one request at a time (Lambda's model, and the local runtime's), so a lookup by id finds
 * the one in flight; in a process serving several at once, an id two of them share finds none.
 */
const inFlight = new Map<string, RequestIds[]>();

const keysOf = (ids: RequestIds) => (ids.caller && ids.caller !== ids.server ? [ids.server, ids.caller] : [ids.server]);

/** Runs a request's handler with its ids known, so every audit event it emits carries both. */
export async function withRequestIds<T>(ids: RequestIds | undefined, run: () => Promise<T>): Promise<T> {
  if (!ids) return run();
  for (const key of keysOf(ids)) inFlight.set(key, [...(inFlight.get(key) ?? []), ids]);
  try {
    return await run();
  } finally {
    for (const key of keysOf(ids)) {
      const left = (inFlight.get(key) ?? []).filter((entry) => entry !== ids);
      if (left.length > 0) inFlight.set(key, left);
      else inFlight.delete(key);
    }
  }
}

/** The ids of the request in flight that `requestId` names; undefined outside a request, or when it names two. */
export function requestIdsFor(requestId: string): RequestIds | undefined {
  const found = inFlight.get(requestId);
  return found?.length === 1 ? found[0] : undefined;
}
