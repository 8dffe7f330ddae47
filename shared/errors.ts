/**
 * Named domain errors. Handlers and domain code throw these; one error handler
 * (shared/http.ts) turns them into RFC 9457 problem+json. Anything else is a 500
 * whose details stay in the logs.
 */
import { dependencyOf, isUnavailableError } from './aws/unavailable.ts';

export interface FieldError {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  /** Short slug that becomes the problem `type` URI. */
  abstract readonly slug: string;
  abstract readonly title: string;
  readonly headers: Record<string, string> = {};
  /** Extension members added to the problem document. */
  readonly extensions: Record<string, unknown> = {};

  constructor(readonly detail: string) {
    super(detail);
  }
}

export class ValidationError extends DomainError {
  readonly status = 400;
  readonly slug = 'validation';
  readonly title = 'Your request is not valid';
  constructor(
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
    if (errors.length > 0) this.extensions.errors = errors;
  }
}

export class MalformedBodyError extends DomainError {
  readonly status = 400;
  readonly slug = 'malformed-body';
  readonly title = 'The request body could not be parsed';
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly slug = 'unauthorized';
  readonly title = 'Missing or invalid credentials';
  constructor(detail: string, challenge = 'Bearer') {
    super(detail);
    this.headers['www-authenticate'] = challenge;
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly slug = 'forbidden';
  readonly title = 'You are not allowed to do this';
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly slug = 'not-found';
  readonly title = 'Not found';
}

export class MethodNotAllowedError extends DomainError {
  readonly status = 405;
  readonly slug = 'method-not-allowed';
  readonly title = 'Method not allowed';
  constructor(detail: string, allowed: readonly string[]) {
    super(detail);
    this.headers.allow = allowed.join(', ');
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
  readonly slug = 'conflict';
  readonly title = 'The request conflicts with the current state';
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly slug = 'payload-too-large';
  readonly title = 'The request body is too large';
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly slug = 'unsupported-media-type';
  readonly title = 'Unsupported content type';
}

export class RateLimitedError extends DomainError {
  readonly status = 429;
  readonly slug = 'rate-limited';
  readonly title = 'Too many requests';
  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}

export class DependencyUnavailableError extends DomainError {
  readonly status = 503;
  readonly slug = 'dependency-unavailable';
  readonly title = 'A service this request needs is unavailable';
  constructor(
    readonly dependency: string,
    retryAfterSeconds = 5,
    /** The SDK or socket error behind it, for the logs only. */
    override readonly cause?: unknown,
  ) {
    super(`${dependency} is unavailable; try again shortly`);
    this.headers['retry-after'] = String(retryAfterSeconds);
    this.extensions.dependency = dependency;
  }
}

/**
 * The 503 for an error that says a dependency could not serve the request: unreachable, hung (an
 * SDK connection, request or socket timeout, a reset or "socket hang up"), failing (5xx) or
 * throttling after the SDK's retries (shared/aws/unavailable.ts). Undefined for anything else,
 * which stays what it is (a domain error, or a 500). The HTTP layer applies it to whatever a
 * handler throws, so no call site has to catch SDK errors to get a 503.
 */
export function dependencyFailure(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof DomainError || !isUnavailableError(error)) return undefined;
  return new DependencyUnavailableError(dependencyOf(error) ?? 'a service this request needs', 5, error);
}
