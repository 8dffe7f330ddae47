/**
 * Options every AWS client shares. The endpoint is not set here: the SDK reads
 * AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) itself, which is how the local
 * runtime and LocalStack point the same bundle at their emulators.
 */
export const clientOptions = {
  maxAttempts: 3,
  // Fail fast when a dependency is down, so the caller answers 503 instead of hanging.
  requestHandler: { connectionTimeout: 1_500, requestTimeout: 5_000 },
} as const;

/** Emulators answer on an IP address, where virtual-hosted bucket names cannot resolve. */
export const usesCustomEndpoint = (env: Record<string, string | undefined> = process.env): boolean =>
  Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
