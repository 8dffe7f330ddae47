/**
 * Options every AWS client shares. The endpoint is not set here: the SDK reads
 * AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) itself, which is how the local
 * runtime and LocalStack point the same bundle at their emulators.
 *
 * Time budget: a dependency that hangs (accepts the connection, never answers) must cost an HTTP
 * route well under 3 s, so it answers 503 with Retry-After long before the function's own timeout
 * (10 s) turns it into a 500. One attempt gives up after ATTEMPT_TIMEOUT_MS; the home region gets
 * MAX_ATTEMPTS attempts (standard retry mode: jittered backoff of at most 100 ms before the second,
 * and a retry quota that stops retrying when most requests are timing out), and a failover peer one
 * more (shared/aws/failover.ts): 800 + 100 + 800 + 800 ≈ 2.5 s at worst, 1.7 s without a peer.
 * DynamoDB, SQS and KMS answer in tens of milliseconds, so 800 ms is an outage, not a slow answer.
 */
export const CONNECT_TIMEOUT_MS = 500;
export const ATTEMPT_TIMEOUT_MS = 800;
export const MAX_ATTEMPTS = 2;

/** The worst time one send of a single-region client takes before it throws (without the backoff jitter). */
export const SEND_BUDGET_MS = MAX_ATTEMPTS * ATTEMPT_TIMEOUT_MS;

export const clientOptions = {
  maxAttempts: MAX_ATTEMPTS,
  retryMode: 'standard',
  requestHandler: {
    // No TCP connection within this: the host is unreachable (a hung process still gets connected by its kernel).
    connectionTimeout: CONNECT_TIMEOUT_MS,
    // From the start of the attempt to the response headers; without throwOnRequestTimeout the SDK only warns.
    requestTimeout: ATTEMPT_TIMEOUT_MS,
    throwOnRequestTimeout: true,
    // A response whose body stops arriving (the SDK's default would wait 5 to 15 minutes).
    socketTimeout: ATTEMPT_TIMEOUT_MS,
  },
} as const;

/** A failover peer's client makes one attempt: the home region has already used its retries. */
export const PEER_MAX_ATTEMPTS = 1;

/** Emulators answer on an IP address, where virtual-hosted bucket names cannot resolve. */
export const usesCustomEndpoint = (env: Record<string, string | undefined> = process.env): boolean =>
  Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
