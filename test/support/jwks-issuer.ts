import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/** A throwaway OpenID issuer (discovery + JWKS) and an ES256 signer, for testing JWT authorizers. */
export class TestIssuer {
  private server?: Server;
  private readonly privateKey: KeyObject;
  private readonly publicJwk: Record<string, unknown>;
  readonly kid = 'test-key-1';
  url = '';

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'ES256', use: 'sig' };
  }

  async start(port: number): Promise<string> {
    this.url = `http://127.0.0.1:${port}`;
    this.server = createServer((request, response) => {
      const documents: Record<string, unknown> = {
        '/.well-known/openid-configuration': { issuer: this.url, jwks_uri: `${this.url}/jwks.json` },
        '/jwks.json': { keys: [this.publicJwk] },
      };
      const document = documents[request.url ?? ''];
      response.writeHead(document ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(document ?? {}));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    return this.url;
  }

  async stop() {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  token(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const head = encode({ alg: 'ES256', typ: 'JWT', kid: this.kid, ...header });
    const body = encode({ iss: this.url, iat: now, exp: now + 300, ...claims });
    const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    return `${head}.${body}.${signature}`;
  }
}
