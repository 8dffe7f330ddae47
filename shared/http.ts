import middy from '@middy/core';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type * as z from 'zod/mini';
import {
  dependencyFailure,
  DomainError,
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
  type FieldError,
} from './errors.ts';
import { logger, metrics, observed, traceStatus } from './observability.ts';
import { type IsRevoked, revokedTokenGuard } from './auth/revoked-tokens.ts';
import { type RequestIds, withRequestIds } from './audit-request.ts';
import { corsHeaders, type IsRegisteredOrigin, registeredOrigins, requestOrigin } from './cors.ts';
import { problemResponse } from './problem.ts';
import type { RouteContract } from './route-contract.ts';

export const MAX_BODY_BYTES = 256 * 1024;

export type HttpResult = APIGatewayProxyStructuredResultV2;

/** What a handler sees: the parsed, validated parts of the request, and the raw event for the rest. */
export interface HttpRequest<
  B = unknown,
  Q = Record<string, string | undefined>,
  P = Record<string, string | undefined>,
> {
  body: B;
  query: Q;
  params: P;
  headers: Record<string, string>;
  requestId: string;
  sourceIp?: string;
  raw: APIGatewayProxyEventV2;
}

type Schema = z.ZodMiniType;
type Out<S, Fallback> = S extends Schema ? z.infer<S> : Fallback;
type RequestOf<C extends RouteContract> = HttpRequest<
  Out<C['body'], undefined>,
  Out<C['query'], Record<string, string | undefined>>,
  Out<C['params'], Record<string, string | undefined>>
>;
export type RouteHandler<C extends RouteContract> = (request: RequestOf<C>, context: Context) => Promise<HttpResult>;

const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

/**
 * The gateway's id, and the caller's x-request-id when it is a sane token. The caller's is echoed
 * (else the gateway's); audit events keep the server's, with the caller's beside it.
 */
function requestIdsOf(headers: Record<string, string>, event: APIGatewayProxyEventV2): RequestIds {
  const given = headers['x-request-id'];
  const server = event.requestContext?.requestId ?? randomUUID();
  return given && REQUEST_ID.test(given) ? { server, caller: given } : { server };
}

function fieldErrors(error: z.core.$ZodError, where: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

function validate<S extends Schema | undefined>(schema: S, value: unknown, where: string): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`the request ${where} is not valid`, fieldErrors(result.error, where));
  return result.data;
}

function decodedBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

function parseBody(contract: RouteContract, headers: Record<string, string>, bytes: Buffer): unknown {
  if (!contract.body) return undefined;
  const mediaType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contract.bodyType === 'form') {
    if (mediaType !== 'application/x-www-form-urlencoded') {
      throw new UnsupportedMediaTypeError('send the body as application/x-www-form-urlencoded');
    }
    return Object.fromEntries(new URLSearchParams(bytes.toString('utf8')));
  }
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
    throw new UnsupportedMediaTypeError('send the body as application/json');
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new MalformedBodyError('the body is not valid JSON');
  }
}

/** Hands the parsed request from the middleware to the handler; keyed by the invocation's context. */
const parsedRequests = new WeakMap<Context, HttpRequest>();
const requestIdsByContext = new WeakMap<Context, RequestIds>();

/** Parses and validates the request, in the order a client would want its errors reported. */
function requestParser(contract: RouteContract): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: (request) => {
      const event = request.event;
      const headers = lowerCaseHeaders(event.headers);
      const bytes = decodedBody(event);
      if (bytes.length > MAX_BODY_BYTES)
        throw new PayloadTooLargeError(`the body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`);
      const parsed: Omit<HttpRequest, 'requestId'> = {
        headers,
        params: validate(contract.params, event.pathParameters ?? {}, 'params') as HttpRequest['params'],
        query: validate(contract.query, event.queryStringParameters ?? {}, 'query') as HttpRequest['query'],
        body: validate(contract.body, parseBody(contract, headers, bytes), 'body'),
        sourceIp: event.requestContext?.http?.sourceIp,
        raw: event,
      };
      const requestId = (request.internal as Record<string, string>).requestId ?? randomUUID();
      parsedRequests.set(request.context, { ...parsed, requestId });
      const ids = (request.internal as Record<string, unknown>).requestIds as RequestIds | undefined;
      if (ids) requestIdsByContext.set(request.context, ids);
    },
  };
}

/**
 * x-request-id, the request's log keys, security headers, CORS for a registered origin, and the one
 * place errors become problem+json. The keys are dropped, the metrics flushed and the trace closed
 * by Powertools' middlewares around it (observed); the trace is marked by the status answered.
 */
function responseEnvelope(isRegisteredOrigin: IsRegisteredOrigin): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  type Internal = { requestId?: string; requestIds?: RequestIds; cors?: Promise<Record<string, string>> };
  const decorate = async (response: HttpResult, internal: Internal): Promise<HttpResult> => {
    traceStatus(response.statusCode ?? 200);
    const cors = (await internal.cors) ?? {};
    return {
      ...response,
      // The answer differs by Origin: no cache may give one origin's answer to another.
      headers: {
        ...SECURITY_HEADERS,
        ...response.headers,
        ...cors,
        vary: 'Origin',
        'x-request-id': internal.requestId!,
      },
    };
  };
  return {
    before: (request) => {
      const headers = lowerCaseHeaders(request.event.headers);
      const internal = request.internal as Internal;
      const ids = requestIdsOf(headers, request.event);
      internal.requestId = ids.caller ?? ids.server;
      internal.requestIds = ids;
      logger.appendKeys({ requestId: internal.requestId, route: request.event.routeKey });
      // Looked up while the handler runs; awaited when the answer is decorated.
      const origin = requestOrigin(headers);
      if (origin) internal.cors = isRegisteredOrigin(origin).then((yes) => (yes ? corsHeaders(origin) : {}));
    },
    after: async (request) => {
      request.response = await decorate(request.response ?? { statusCode: 204 }, request.internal as Internal);
    },
    onError: async (request) => {
      const internal = request.internal as Internal;
      internal.requestId ??= randomUUID();
      // A dependency that timed out, hung up or could not be reached is a 503, wherever it was called from.
      const unavailable = dependencyFailure(request.error);
      if (unavailable) {
        logger.warn('dependency unavailable', { dependency: unavailable.dependency, error: request.error as Error });
        metrics.addMetric('dependencyUnavailable', 'Count', 1);
        request.error = unavailable;
      }
      if (request.error instanceof DomainError) {
        logger.info('request refused', {
          status: request.error.status,
          problem: request.error.slug,
          detail: request.error.detail,
        });
        metrics.addMetric('requestRefused', 'Count', 1);
      } else {
        logger.error('unhandled error', request.error as Error);
        metrics.addMetric('unhandledError', 'Count', 1);
      }
      request.response = await decorate(problemResponse(request.error, internal.requestId), internal);
    },
  };
}

/**
 * Wraps a thin route handler for Lambda; the same handler stays exported raw for tests.
 * The envelope is used first so that its onError runs last and even a parse failure
 * carries a request id and the security headers. Powertools' middlewares wrap the whole
 * HTTP handler, so they see what Lambda sees: a response, also for a refused request.
 */
export function httpHandler<C extends RouteContract>(
  contract: C,
  handler: RouteHandler<C>,
  options: { isRevoked?: IsRevoked; isRegisteredOrigin?: IsRegisteredOrigin } = {},
) {
  const http = middy<APIGatewayProxyEventV2, HttpResult>().use(
    responseEnvelope(options.isRegisteredOrigin ?? registeredOrigins),
  );
  // A JWT route refuses a revoked token before it looks at the request.
  if (contract.auth === 'jwt') http.use(revokedTokenGuard(options.isRevoked));
  http.use(requestParser(contract)).handler(async (_event, context) => {
    const request = parsedRequests.get(context);
    if (!request) throw new Error('request parser did not run');
    return withRequestIds(requestIdsByContext.get(context), () => handler(request as RequestOf<C>, context));
  });
  return observed<APIGatewayProxyEventV2, HttpResult>(http);
}
