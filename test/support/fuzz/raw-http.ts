import { connect } from 'node:net';

export interface RawAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Undoes chunked transfer coding (RFC 9112 §7.1), enough for the answers of the local gateway. */
function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends bytes as they are over a fresh connection and reads the one answer: fetch and node:http
 * refuse (or repair) the odd request lines and headers the gateway's own parser has to meet.
 * `localAddress` picks the loopback address it comes from, so per-address rate limits of the
 * fuzz do not spend those of the other tests.
 */
export function rawRequest(
  target: { host: string; port: number },
  head: string,
  body: Buffer,
  localAddress?: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...target, ...(localAddress ? { localAddress } : {}) });
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer within 20 s')));
    socket.on('connect', () => {
      socket.write(Buffer.concat([Buffer.from(head, 'utf8'), body]));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that answers before it has read the whole request (a refusal) may reset the connection
    // once it closes: the answer read by then counts.
    let failure: Error | undefined;
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('close', () => {
      const bytes = Buffer.concat(chunks);
      const split = bytes.indexOf('\r\n\r\n');
      if (split < 0)
        return reject(
          new Error(`no HTTP answer (${failure?.message ?? 'closed'}) to ${head.split('\r\n')[0]!.slice(0, 300)}`),
        );
      const [statusLine, ...lines] = bytes.subarray(0, split).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const raw = bytes.subarray(split + 4);
      const payload = /chunked/i.test(headers['transfer-encoding'] ?? '') ? dechunk(raw) : raw;
      resolve({ statusCode: Number(statusLine!.split(' ')[1]), headers, body: payload.toString('utf8') });
    });
  });
}
