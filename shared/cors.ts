import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ENV } from './env-names.ts';
import { logger } from './observability.ts';

/**
 * CORS for the browser apps of registered clients (a PKCE single-page app calling /oauth2/token,
 * /oauth2/userinfo or any API from its own origin). API Gateway's own CORS takes a list fixed at
 * deploy time, while clients are registered at run time (`dgov clients create`), so it stays off and
 * the functions answer: the fallback function serves the preflight (`OPTIONS /{proxy+}`, a route
 * without authorizer, since a preflight never carries a token), and every HTTP function adds
 * Access-Control-Allow-Origin to its answers for a registered origin, and nothing for any other.
 * The same code runs in the cloud and behind the local gateway.
 */

/** Tells whether a browser origin is one of a registered client's (its redirect URIs' origins). */
export type IsRegisteredOrigin = (origin: string) => Promise<boolean>;

export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'x-request-id'] as const;
/** What a script may read of an answer besides the CORS-safelisted headers. */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'www-authenticate', 'location'] as const;
/** How long a browser may reuse a preflight's answer. */
export const CORS_MAX_AGE_SECONDS = 600;
/** How long a function trusts what it read of the registered origins: a new client waits at most this. */
export const ORIGIN_CACHE_MS = 30_000;
/** Origins remembered per sandbox: anyone may send any Origin, so the memory for them is bounded. */
const ORIGIN_CACHE_ENTRIES = 500;

/** The request's Origin when it is one a client could register (http or https, nothing after the port); `null` is none. */
export function requestOrigin(headers: Record<string, string | undefined>): string | undefined {
  const origin = headers.origin;
  if (!origin || origin.length > 300) return undefined;
  try {
    const url = new URL(origin);
    return url.origin === origin && (url.protocol === 'https:' || url.protocol === 'http:') ? origin : undefined;
  } catch {
    return undefined;
  }
}

/** A preflight: OPTIONS from a browser, asking for a method (Fetch standard, "CORS-preflight request"). */
export function isPreflight(event: APIGatewayProxyEventV2, headers: Record<string, string | undefined>): boolean {
  return (
    event.requestContext?.http?.method?.toUpperCase() === 'OPTIONS' &&
    headers.origin !== undefined &&
    headers['access-control-request-method'] !== undefined
  );
}

/** On an actual answer to a registered origin. No credentials: the apps send bearer tokens, not cookies. */
export const corsHeaders = (origin: string): Record<string, string> => ({
  'access-control-allow-origin': origin,
  'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', '),
});

/** On a preflight's answer to a registered origin. */
export const preflightHeaders = (origin: string, methods: readonly string[]): Record<string, string> => ({
  'access-control-allow-origin': origin,
  'access-control-allow-methods': methods.join(', '),
  'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
  'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
});

/**
 * Remembers answers for `ttlMs`. A lookup that fails (the table unreachable) answers "not
 * registered" and is not remembered: the browser cannot read that one answer, nothing else changes.
 */
export function cachedOrigins(
  lookup: IsRegisteredOrigin,
  options: { ttlMs?: number; now?: () => number } = {},
): IsRegisteredOrigin {
  const ttlMs = options.ttlMs ?? ORIGIN_CACHE_MS;
  const now = options.now ?? Date.now;
  const known = new Map<string, { registered: boolean; until: number }>();
  return async (origin) => {
    const hit = known.get(origin);
    if (hit && hit.until > now()) return hit.registered;
    try {
      const registered = await lookup(origin);
      known.delete(origin);
      if (known.size >= ORIGIN_CACHE_ENTRIES) known.delete(known.keys().next().value!);
      known.set(origin, { registered, until: now() + ttlMs });
      return registered;
    } catch (error) {
      logger.warn('registered origins could not be read; answering without CORS', { error: error as Error });
      return false;
    }
  };
}

/**
 * The control table's origins (shared/cors-origins.ts), loaded when a request first carries an
 * Origin. infra/stateless-stack.ts grants every HTTP function read access and names the table in
 * DGOV_CONTROL_TABLE; without it no origin is registered.
 */
function controlTableOriginLookup(): IsRegisteredOrigin {
  let lookup: Promise<IsRegisteredOrigin> | undefined;
  return async (origin) => {
    lookup ??= (async () => {
      const table = process.env[ENV.controlTable];
      if (!table) {
        logger.warn(`no ${ENV.controlTable}: no origin is registered for CORS`);
        return async () => false;
      }
      const [{ documents }, { controlTableOrigins }] = await Promise.all([
        import('./aws/dynamodb.ts'),
        import('./cors-origins.ts'),
      ]);
      return controlTableOrigins(documents, table);
    })();
    return (await lookup)(origin);
  };
}

/** This sandbox's view of the registered origins, shared by the preflight and the answers. */
export const registeredOrigins: IsRegisteredOrigin = cachedOrigins(controlTableOriginLookup());
