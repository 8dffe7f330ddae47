import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allRoutes } from '../../functions/routes.ts';
import { routeKey, type RouteContract } from '../../shared/route-contract.ts';
import { extraHeaders, pathSegment, text } from '../support/fuzz/arbitraries.ts';
import { rawRequest } from '../support/fuzz/raw-http.ts';
import { type ErrorFormat, eventOf, expectAnswer, type FuzzRequest, requestArbitrary } from '../support/fuzz/routes.ts';
import { target } from '../support/target.ts';

/**
 * A sample of the in-process fuzz (test/unit/fuzz/) sent over the wire to `npm start`, so that the
 * local gateway's own parsing meets it too: odd request targets and encodings, huge headers,
 * cookies, bodies. Never a 5xx; a 4xx is problem+json or the route's own format. Runs per route:
 * DGOV_FUZZ_HTTP_RUNS (12 unless set). Raw sockets from loopback addresses of their own, so the
 * per-address rate limits the fuzz trips are not those of the other journeys.
 */
const RUNS = (() => {
  const runs = Number(process.env.DGOV_FUZZ_HTTP_RUNS ?? '');
  return Number.isInteger(runs) && runs > 0 ? runs : 12;
})();
const PARALLEL = 6;
const local = target.apiUrl && /^http:\/\/127\.0\.0\.1:\d+$/.test(target.apiUrl) ? new URL(target.apiUrl) : undefined;

/** The route's own 4xx formats, besides problem+json (test/unit/fuzz/ names them per route). */
const formatsOf = (route: RouteContract): ErrorFormat[] => {
  if (/^\/oauth2\/(token|revoke|introspect|userinfo)$/.test(route.path)) return ['oauth'];
  if (/^\/oauth2\/(authorize|logout)$|^\/hotline\/workqueue/.test(route.path)) return ['html'];
  if (route.path.startsWith('/open311/')) return ['open311'];
  if (route.path.startsWith('/payments/callbacks/')) return ['text'];
  return [];
};

// Request framing stays HTTP (no CR or LF inside a line); anything else goes as it is.
const line = (value: string) => value.replace(/[\r\n]/g, '');
const requestTarget = (value: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it percent-encodes
  line(value).replace(/[\u0000-\u0020\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`) || '/';

function wire(method: string, path: string, request: FuzzRequest) {
  const headers: [string, string][] = [['host', local!.host]];
  for (const [name, value] of Object.entries(request.headers)) {
    const clean = line(name).replace(/[:\s]/g, '');
    if (clean && !/^(host|content-length|transfer-encoding|connection)$/i.test(clean))
      headers.push([clean, line(value)]);
  }
  if (request.cookies?.length) headers.push(['cookie', line(request.cookies.join('; '))]);
  const body = Buffer.from(request.body ?? '', 'utf8');
  headers.push(['content-length', String(body.length)], ['connection', 'close']);
  const head = `${method} ${requestTarget(path)} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n`;
  return { head, body };
}

/** A loopback address of the fuzz's own per route (127.0.0.2–127.0.0.254). */
const addressOf = (index: number) => `127.0.0.${2 + (index % 253)}`;

async function send(head: string, body: Buffer, from: string) {
  return rawRequest({ host: local!.hostname, port: Number(local!.port) }, head, body, from);
}

async function inBatches<T>(items: T[], run: (item: T) => Promise<void>) {
  for (let at = 0; at < items.length; at += PARALLEL) await Promise.all(items.slice(at, at + PARALLEL).map(run));
}

describe.skipIf(!local)(`fuzzing over HTTP against ${target.name}`, () => {
  it.each(allRoutes.map((route, index) => [routeKey(route), route, index] as const))(
    '%s',
    async (key, route, index) => {
      const samples = fc.sample(requestArbitrary(route, {}), RUNS);
      await inBatches(samples, async (request) => {
        const event = eventOf(route, request);
        const path = `${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
        const { head, body } = wire(route.method, path, request);
        const answer = await send(head, body, addressOf(index));
        expectAnswer(answer, formatsOf(route), `${key} as ${head.split('\r\n')[0]}`);
      });
    },
    60_000,
  );

  it('unknown paths, other methods, and what only a gateway sees: huge headers, odd request lines', async () => {
    const path = fc.oneof(
      fc
        .array(pathSegment(fc.oneof(text, fc.constantFrom('licences', 'tickets', 'oauth2', 'health'))), {
          maxLength: 4,
        })
        .map((segments) => `/${segments.join('/')}`),
      fc.constantFrom(
        '*',
        '//x/health',
        'http://127.0.0.1/health',
        '/health?%zz',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/licences/%00',
      ),
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'get', 'FOO');
    const size = fc.constantFrom(0, 0, 0, 9_000, 20_000, 100_000);
    const samples = fc.sample(fc.tuple(path, method, extraHeaders, size), RUNS * 3);
    await inBatches(samples, async ([rawPath, verb, headers, padding]) => {
      const request: FuzzRequest = {
        segments: {},
        query: undefined,
        headers: {
          ...headers,
          ...(padding ? { 'x-padding': 'p'.repeat(padding), cookie: `a=${'c'.repeat(padding)}` } : {}),
        },
        cookies: undefined,
        body: verb === 'POST' ? '{}' : undefined,
        encoding: 'utf8',
        claims: undefined,
      };
      const { head, body } = wire(verb, rawPath, request);
      const answer = await send(head, body, addressOf(253));
      expectAnswer(answer, [], head.split('\r\n')[0]!.slice(0, 200));
    });
  }, 60_000);

  it('refuses conflicting framing (Content-Length with Transfer-Encoding) and a bare request as problem+json', async () => {
    const host = `host: ${local!.host}\r\n`;
    for (const head of [
      `POST /oauth2/token HTTP/1.1\r\n${host}content-length: 3\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`,
      `GET /health HTTP/1.1\r\nconnection: close\r\n\r\n`,
      `GET /health HTTP/1.1\r\n${host}x-bad\u0000: 1\r\nconnection: close\r\n\r\n`,
    ]) {
      const answer = await send(head, Buffer.alloc(0), addressOf(254));
      expect(answer.statusCode, head).toBeLessThan(500);
      if (answer.statusCode >= 400) expect(answer.headers['content-type'], head).toBe('application/problem+json');
    }
  });
});
