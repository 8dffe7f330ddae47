/**
 * What an AWS dependency's failure means, without the SDK: "the service could not serve us" (unreachable,
 * hung, failing, throttling after the SDK's retries) as opposed to an answer about the request. The
 * failover client moves the first kind to the other region (shared/aws/failover.ts); the HTTP layer
 * answers it as 503 dependency-unavailable (shared/errors.ts, dependencyFailure).
 */

/** Names (error.name) that mean "slow down": the SDK retries them itself before we see them. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);

/** Node socket and DNS errors: the service could not be reached at all, or stopped answering ("socket hang up" is ECONNRESET). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/**
 * The SDK's names for "no answer in time": @smithy/node-http-handler throws TimeoutError for the
 * connection, request and socket timeouts (shared/aws/client-options.ts) and renames resets to it.
 */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);

interface ErrorShape {
  name?: string;
  code?: string;
  errors?: unknown[];
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  $dependency?: string;
}

/** True when the error says the service is unreachable, timing out, failing (5xx) or throttling us after retries. */
export function isUnavailableError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as ErrorShape;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if ((e.name && THROTTLING.has(e.name)) || e.$retryable?.throttling === true) return true;
  if (status !== undefined && status < 500) return false; // the service answered: a 4xx is about the request
  if ((e.code && UNREACHABLE.has(e.code)) || (e.name && TIMEOUTS.has(e.name))) return true;
  // Node's happy-eyeballs connect reports an AggregateError; fetch-style errors nest a cause.
  return (
    (e.errors ?? []).some((inner) => isUnavailableError(inner, depth + 1)) || isUnavailableError(e.cause, depth + 1)
  );
}

/** Marks an error with the dependency (`dynamodb`, `sqs`, …) whose client threw it; the first mark stays. */
export function markDependency(error: unknown, dependency: string): void {
  if (typeof error === 'object' && error !== null && !(error as ErrorShape).$dependency) {
    Object.defineProperty(error, '$dependency', { value: dependency, enumerable: false, configurable: true });
  }
}

/** The dependency markDependency put on the error, if any. */
export const dependencyOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null ? (error as ErrorShape).$dependency : undefined;

interface MiddlewareStackLike {
  add(middleware: unknown, options: { step: 'initialize'; name: string; override?: boolean }): void;
}

/**
 * Makes every error `client` throws carry the dependency's name, so the HTTP layer can name it in
 * its 503 without each call site catching. Added at the initialize step: outside the SDK's retries.
 */
export function namedDependency<C extends { middlewareStack: unknown }>(client: C, dependency: string): C {
  (client.middlewareStack as MiddlewareStackLike).add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        markDependency(error, dependency);
        throw error;
      }
    },
    { step: 'initialize', name: 'dgovDependencyName', override: true },
  );
  return client;
}
