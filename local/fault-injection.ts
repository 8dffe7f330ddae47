import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fault injection for tests of the local runtime, off unless `npm start` runs with
 * DGOV_FAULT_INJECTION=1, and never part of a Lambda bundle: a proxy in front of the SQS emulator
 * that the functions are pointed at. It passes everything through, except requests whose body
 * contains a string a test armed, which it answers as an unavailable SQS would (503). A test arms it
 * with the string only its own requests carry (an account id), so parallel tests see nothing:
 *
 *   POST   {faults}/faults  {"bodyContains": "acc-…"}   arm
 *   DELETE {faults}/faults                               disarm all
 *
 * Its URL is `faults` in .local/env.json.
 */
export interface FaultProxy {
  url: string;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string, log: (line: string) => void): Promise<FaultProxy> {
  const armed = new Set<string>();
  const upstream = new URL(target);
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: Error) => {
      log(`fault proxy: ${error.message}`);
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readAll(request);
    if (request.url === '/faults') {
      if (request.method === 'POST') {
        const { bodyContains } = JSON.parse(body.toString('utf8') || '{}') as { bodyContains?: unknown };
        if (typeof bodyContains !== 'string' || bodyContains.length < 8) {
          response
            .writeHead(400, { 'content-type': 'text/plain' })
            .end('bodyContains: a string of 8 characters or more');
          return;
        }
        armed.add(bodyContains);
        log(`fault injection: SQS requests containing ${bodyContains} now fail with 503`);
        response.writeHead(204).end();
        return;
      }
      if (request.method === 'DELETE') {
        armed.clear();
        response.writeHead(204).end();
        return;
      }
    }
    const text = body.toString('utf8');
    if ([...armed].some((needle) => text.includes(needle))) {
      response
        .writeHead(503, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-query-error': 'ServiceUnavailable;Receiver',
        })
        .end(JSON.stringify({ __type: 'com.amazonaws.sqs#ServiceUnavailable', message: 'injected fault' }));
      return;
    }
    const proxied = forward({
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
    });
    proxied.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    proxied.on('error', (error) => {
      log(`fault proxy: ${error.message}`);
      if (!response.headersSent) response.writeHead(502).end();
    });
    proxied.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
