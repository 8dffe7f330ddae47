import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../local/gateway.ts';
import type { LambdaHost } from '../../local/lambda-host.ts';

/** A function that answers with the event it was given, so a test sees what the gateway sent. */
const echo = {
  spec: { displayName: 'echo' },
  invoke: async (event: unknown) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  }),
} as unknown as LambdaHost;

const gateway = new Gateway({ port: 0, log: () => undefined });

beforeAll(async () => {
  await gateway.start();
  gateway.setRoutes([
    { routeKey: 'GET /things/{thingId}', host: echo, scopes: [] },
    { routeKey: 'GET /files/{proxy+}', host: echo, scopes: [] },
    { routeKey: 'GET /health', host: echo, scopes: [] },
    {
      routeKey: 'GET /private',
      host: echo,
      scopes: [],
      authorizer: { issuer: 'http://127.0.0.1:1', audience: ['dgov-api'] },
    },
    { routeKey: '$default', host: echo, scopes: [] },
  ]);
});

afterAll(() => gateway.stop());

const port = () => Number(new URL(gateway.url).port);

/** One request with the request-target exactly as given (fetch would normalise it). */
function get(target: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const sent = httpRequest({ host: '127.0.0.1', port: port(), path: target, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            type: String(response.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
            headers: response.headers,
          }),
        );
      });
      sent.on('error', reject);
      sent.end();
    },
  );
}

/** Bytes straight onto the socket, for requests no HTTP client would send. */
function raw(bytes: string) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port(), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

const eventOf = (body: string) => JSON.parse(body) as APIGatewayProxyEventV2;
const bearer = (header: unknown, claims: unknown = {}) =>
  `Bearer ${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.AA`;

describe('the local gateway refuses malformed input with a 4xx problem', () => {
  it.each(['%E0%A4%A', '%zz', '%', 'a%2'])('a path parameter that is not percent-encoding: %s', async (segment) => {
    const answer = await get(`/things/${segment}`);
    expect(answer.status).toBe(400);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({
      type: 'urn:dgov:problem:validation',
      errors: [{ path: 'params.thingId' }],
    });
  });

  it('a greedy path parameter that is not percent-encoding', async () => {
    const answer = await get('/files/a/%zz/b');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ path: 'params.proxy' }] });
  });

  it('still decodes a well-formed path parameter, %00 and UTF-8 included', async () => {
    const answer = await get('/things/%E4%BD%A0%20%00');
    expect(answer.status).toBe(200);
    expect(eventOf(answer.body).pathParameters).toEqual({ thingId: '你 \u0000' });
  });

  it.each(['//[', '//a:b', '//%zz', '//[::1', '//:99999'])(
    'a path starting with // is a path, not a host: %s',
    async (target) => {
      const answer = await get(target);
      expect(answer.status).toBe(200);
      expect(eventOf(answer.body)).toMatchObject({ routeKey: '$default', rawPath: target });
    },
  );

  it('does not route //host/health to /health', async () => {
    const answer = await get('//x/health');
    expect(eventOf(answer.body)).toMatchObject({ routeKey: '$default', rawPath: '//x/health' });
  });

  it('an absolute-form target that is no URL', async () => {
    const answer = await raw('GET http://[/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
  });

  it.each([
    ['a request line that is not HTTP', 'GET health HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an unknown method', 'FOO /health HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    [
      'two Content-Length headers',
      'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      400,
    ],
    ['a negative Content-Length', 'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
    [
      'a chunk size that is not hex',
      'POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
    ],
    ['headers over 16 KB', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['an HTTP/1.1 request without Host', 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
    [
      'an expectation other than 100-continue',
      'GET /health HTTP/1.1\r\nHost: x\r\nExpect: x\r\nConnection: close\r\n\r\n',
      417,
    ],
  ])('%s, as problem+json', async (_, bytes, status) => {
    const answer = await raw(bytes);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status });
  });

  it.each([
    ['a null header', bearer(null)],
    ['a null header and claims', bearer(null, null)],
    ['an algorithm with a line break', bearer({ alg: 'a\nb' })],
    ['an algorithm outside Latin-1', bearer({ alg: '算法' })],
    ['an algorithm with a quote', bearer({ alg: 'x", error="forged' })],
    ['an algorithm named after an Object member', bearer({ alg: '__proto__', kid: 'k' })],
  ])('a bearer token with %s: 401 problem+json, nothing of the token echoed', async (_, authorization) => {
    const answer = await get('/private', { authorization });
    expect(answer.status).toBe(401);
    expect(answer.type).toBe('application/problem+json');
    expect(String(answer.headers['www-authenticate'])).toMatch(
      /^Bearer error="invalid_token", error_description="[^"]*"$/,
    );
  });
});

it("a well-formed token while the issuer's keys cannot be fetched: 503 with Retry-After, not a 401", async () => {
  // The issuer here (127.0.0.1:1) refuses connections, as a cold or stopped identity function would.
  const answer = await get('/private', { authorization: bearer({ alg: 'ES256', kid: 'k1' }, { iss: 'x' }) });
  expect(answer.status).toBe(503);
  expect(answer.type).toBe('application/problem+json');
  expect(answer.headers['retry-after']).toBe('1');
});

describe('the local gateway hands a query over as API Gateway does', () => {
  it('keeps parameters named like Object members as plain parameters', async () => {
    const answer = await get('/health?constructor=x&toString=1&__proto__=p&hasOwnProperty=h');
    // Parsed from JSON: in an object literal, `__proto__` would set the prototype rather than a key.
    const expected = JSON.parse('{"constructor":"x","toString":"1","__proto__":"p","hasOwnProperty":"h"}');
    expect(eventOf(answer.body).queryStringParameters).toEqual(expected);
  });

  it('joins repeated parameters with commas', async () => {
    const answer = await get('/health?a=1&a=2&b=%zz');
    expect(eventOf(answer.body).queryStringParameters).toEqual({ a: '1,2', b: '%zz' });
  });
});
