import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  DependencyUnavailableError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
} from '../shared/errors.ts';
import { decodePercent } from '../shared/percent-encoding.ts';
import { problemResponse } from '../shared/problem.ts';
import { JwtAuthorizer, type JwtAuthorizerConfig } from './jwt-authorizer.ts';
import type { LambdaHost } from './lambda-host.ts';
import { ACCOUNT_ID } from './template.ts';

export interface GatewayRoute {
  /** `GET /licences/{licenceId}`, `ANY /x/{proxy+}` or `$default`. */
  routeKey: string;
  host: LambdaHost;
  authorizer?: JwtAuthorizerConfig;
  scopes: string[];
}

/** API Gateway refuses payloads over 10 MB before any function sees them. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|.*\+json|x-www-form-urlencoded|xml|javascript))/i;

/** What API Gateway refuses before any route: HTTP it cannot read, or an expectation it cannot meet. */
class UnreadableRequestError extends DomainError {
  readonly slug = 'malformed-request';
  readonly title = 'The request could not be read';
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

interface CompiledRoute extends GatewayRoute {
  method: string;
  pattern?: RegExp;
  paramNames: string[];
  rank: number;
}

function compile(route: GatewayRoute): CompiledRoute {
  if (route.routeKey === '$default') return { ...route, method: 'ANY', paramNames: [], rank: 3 };
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const paramNames: string[] = [];
  let greedy = false;
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{([^}+]+)(\+)?\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      paramNames.push(param[1]!);
      if (param[2]) {
        greedy = true;
        return '(.+)';
      }
      return '([^/]+)';
    })
    .join('/');
  return {
    ...route,
    method,
    pattern: new RegExp(`^${source}$`),
    paramNames,
    rank: greedy ? 2 : paramNames.length > 0 ? 1 : 0,
  };
}

/**
 * The HTTP API in front of the functions: API Gateway's route selection (exact, then
 * parameterised, then greedy, then $default), its JWT authorizer, and the v2 payload format.
 */
export class Gateway {
  private server?: Server;
  private routes: CompiledRoute[] = [];
  private readonly authorizer = new JwtAuthorizer();
  url = '';

  /** Listens first, routes later: the functions' environment needs the URL the gateway got. */
  constructor(private readonly options: { port: number; log: (line: string) => void }) {}

  setRoutes(routes: GatewayRoute[]): void {
    this.routes = routes.map(compile).sort((a, b) => a.rank - b.rank);
  }

  async start(): Promise<string> {
    // Node answers a missing Host with a bare 400; the gateway answers it as a problem (handle).
    const server = createServer({ requireHostHeader: false }, (request, response) => {
      this.handle(request, response).catch((error: Error) => {
        this.options.log(`gateway error: ${error.message}`);
        if (!response.headersSent) send(response, problemResponse(new Error('the gateway failed'), randomUUID()));
      });
    });
    server.on('clientError', refuseUnreadable);
    server.on('checkExpectation', (_request, response) =>
      send(
        response,
        problemResponse(new UnreadableRequestError(417, 'only Expect: 100-continue is understood'), randomUUID()),
      ),
    );
    // Longer than clients' own idle timers (undici's is 4 s), so a client closes an idle connection
    // first: one whose event loop was blocked (a test's spawnSync) never reuses a socket we closed.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Path parameters are handed over decoded; one that is not percent-encoding stays undefined. */
  private match(
    method: string,
    path: string,
  ): { route: CompiledRoute; params: Record<string, string | undefined> } | undefined {
    for (const exactMethod of [true, false]) {
      for (const route of this.routes) {
        if (route.rank === 3) continue;
        if (exactMethod ? route.method !== method : route.method !== 'ANY') continue;
        const found = route.pattern!.exec(path);
        if (!found) continue;
        const params = Object.fromEntries(route.paramNames.map((name, i) => [name, decodePercent(found[i + 1]!)]));
        return { route, params };
      }
    }
    const fallback = this.routes.find((route) => route.rank === 3);
    return fallback ? { route: fallback, params: {} } : undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const requestId = randomUUID();
    const started = Date.now();
    const url = targetOf(request.url ?? '/');
    if (!url) return send(response, problemResponse(new ValidationError('the request target is not a URL'), requestId));
    if (request.httpVersion === '1.1' && request.headers.host === undefined)
      return send(response, problemResponse(new ValidationError('an HTTP/1.1 request needs a Host header'), requestId));
    const method = (request.method ?? 'GET').toUpperCase();
    const body = await readBody(request, MAX_PAYLOAD_BYTES);
    if (body === 'too-large')
      return send(response, problemResponse(new PayloadTooLargeError('the body is over 10 MB'), requestId));

    if (this.routes.length === 0)
      return send(
        response,
        problemResponse(new DependencyUnavailableError('the local runtime (still starting)', 1), requestId),
      );
    const matched = this.match(method, url.pathname);
    if (!matched)
      return send(response, problemResponse(new NotFoundError(`no route serves ${method} ${url.pathname}`), requestId));
    const { route, params } = matched;
    const undecodable = Object.keys(params).filter((name) => params[name] === undefined);
    if (undecodable.length > 0) {
      const errors = undecodable.map((name) => ({ path: `params.${name}`, message: 'not valid percent-encoding' }));
      return send(
        response,
        problemResponse(new ValidationError('a path parameter is not valid percent-encoding', errors), requestId),
      );
    }

    let authorizer: unknown;
    if (route.authorizer) {
      const decision = await this.authorizer.authorize(route.authorizer, request.headers.authorization, route.scopes);
      // The issuer's keys could not be fetched: nothing is known of the token yet, so the caller may retry.
      if (!decision.ok && decision.status === 503)
        return send(response, problemResponse(new DependencyUnavailableError(decision.reason, 1), requestId));
      if (!decision.ok) {
        const challenge = `Bearer error="invalid_token", error_description="${decision.reason}"`;
        return send(
          response,
          problemResponse(
            decision.status === 401
              ? new UnauthorizedError(decision.reason, challenge)
              : new ForbiddenError(decision.reason),
            requestId,
          ),
        );
      }
      authorizer = { jwt: { claims: decision.claims, scopes: decision.scopes } };
    }

    const decoded = params as Record<string, string>;
    const event = toEvent(request, url, method, body, route.routeKey, decoded, requestId, authorizer);
    try {
      const result = await route.host.invoke(event);
      send(response, fromResult(result));
    } catch (error) {
      this.options.log(
        `${route.host.spec.displayName} failed on ${method} ${url.pathname}: ${(error as Error).name}: ${(error as Error).message}`,
      );
      // The function failed outside its own error handling: a 500 that says nothing internal.
      const failed = problemResponse(new Error('invocation failed'), requestId);
      send(response, { ...failed, headers: { ...failed.headers, 'x-request-id': requestId } });
    } finally {
      this.options.log(`${method} ${url.pathname} ${response.statusCode} ${Date.now() - started} ms`);
    }
  }
}

/**
 * The request-target as API Gateway reads it: origin-form is a path (and a query), so `//x/y` is the
 * path //x/y, not the host x; an absolute-form target that is no URL is undefined.
 */
function targetOf(target: string): URL | undefined {
  try {
    return target.startsWith('/') ? new URL(`http://127.0.0.1${target}`) : new URL(target, 'http://127.0.0.1');
  } catch {
    return undefined;
  }
}

/** Node's own answer to unparsable HTTP (400, 431 for oversized headers), as a problem like the gateway's others. */
function refuseUnreadable(error: Error & { code?: string }, socket: Socket) {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const { body } = problemResponse(new UnreadableRequestError(status, 'the request is not HTTP this API can read'));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\n` +
      `content-length: ${Buffer.byteLength(body!)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  method: string,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string>,
  requestId: string,
  authorizer: unknown,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // A Map, so that `constructor` or `__proto__` are parameters like any other, not Object's members.
  const joined = new Map<string, string>();
  for (const [name, value] of url.searchParams)
    joined.set(name, joined.has(name) ? `${joined.get(name)},${value}` : value);
  const query = Object.fromEntries(joined);
  const cookies = request.headers.cookie
    ?.split(';')
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  const isText = TEXT_TYPES.test(headers['content-type'] ?? 'text/plain');
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(authorizer ? { authorizer } : {}),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

/** API Gateway's rules for the v2 payload: a structured result, or any other value as a JSON 200. */
function fromResult(result: unknown): APIGatewayProxyStructuredResultV2 {
  if (result && typeof result === 'object' && 'statusCode' in result)
    return result as APIGatewayProxyStructuredResultV2;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof result === 'string' ? result : JSON.stringify(result),
  };
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2) {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, { ...headers, 'content-length': String(body.length) });
  response.end(body);
}
