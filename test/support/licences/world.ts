import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qrPng } from '../../../functions/licences/adapters/qr.ts';
import { licencesRoutes } from '../../../functions/licences/contract.ts';
import { fileEs256Signer, fileSm2Signer } from '../../../functions/licences/adapters/seal-signers.ts';
import { LICENCE_TYPES, validateCatalogue } from '../../../functions/licences/catalogue.ts';
import { newLicenceId } from '../../../functions/licences/domain/licence-id.ts';
import type { SealAlg, SealJwk } from '../../../functions/licences/domain/seal.ts';
import type { Holder } from '../../../functions/licences/model.ts';
import type { LicenceEvent, SealSigner } from '../../../functions/licences/ports.ts';
import { licencesHandler } from '../../../functions/licences/routes.ts';
import type { LicencesDeps } from '../../../functions/licences/use-cases/deps.ts';
import type { AuditInput } from '../../../shared/audit.ts';
import { creditCodeCheckChar, idNumberCheckDigit } from '../../../shared/identifiers.ts';
import { lambdaContext } from '../identity-in-process.ts';
import { MemoryLicenceStore } from './memory-store.ts';

export const PUBLIC_URL = 'http://127.0.0.1:3000';
export const OUR_ISSUER = 'dgov-province';

export const keyFile = (curve: 'SM2' | 'P-256') => {
  const dir = mkdtempSync(join(tmpdir(), 'dgov-licences-'));
  const file = join(dir, `${curve}.pem`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return file;
};

export const citizenId = (seventeen = '11010519491231002') => `${seventeen}${idNumberCheckDigit(seventeen)}`;
export const creditCode = (seventeen = '91350100M000100Y4') => `${seventeen}${creditCodeCheckChar(seventeen)}`;

/** A token's claims as the JWT authorizer hands them on. */
export interface TestCaller {
  sub: string;
  scope?: string;
  department?: string;
  /** For a person: who they are (what identity's UserInfo answers). */
  holder?: Holder;
}
export const department = (dept: string, scope = 'licences:issue'): TestCaller => ({
  sub: `client-${dept}`,
  scope,
  department: dept,
});
export const person = (holder: Holder): TestCaller => ({ sub: `acc-${holder.id}`, scope: 'openid profile', holder });

/** The licences routes in-process on the memory store, with key files, a trusted external issuer and captured events. */
export function licencesWorld(options: { now?: () => Date; trusted?: SealJwk[] } = {}) {
  const store = new MemoryLicenceStore();
  const archive = new Map<string, string>();
  const audits: AuditInput[] = [];
  const notifications: LicenceEvent[] = [];
  const tokens = new Map<string, TestCaller>();
  const signers = new Map<SealAlg, SealSigner>([
    ['SM2-SM3', fileSm2Signer(keyFile('SM2'), OUR_ISSUER)],
    ['ES256', fileEs256Signer(keyFile('P-256'), OUR_ISSUER)],
  ]);
  const deps: LicencesDeps = {
    catalogue: validateCatalogue(LICENCE_TYPES),
    store,
    archive: {
      put: async (id, body) => void archive.set(id, body),
      discard: async (id) => void archive.delete(id),
    },
    notify: async (event) => void notifications.push(event),
    audit: async (input) => {
      audits.push(input);
      return { ...input, eventId: input.eventId ?? randomUUID(), time: new Date().toISOString(), region: 'cn-north-1' };
    },
    signers,
    defaultAlg: 'SM2-SM3',
    retired: [],
    otherKeys: options.trusted ?? [],
    ourIssuer: OUR_ISSUER,
    publicUrl: PUBLIC_URL,
    now: options.now ?? (() => new Date()),
    newLicenceId: () => newLicenceId(),
  };
  const handler = licencesHandler({
    deps,
    holderOf: async (token) => tokens.get(token)?.holder,
    qrPng,
    isRevoked: async () => false,
  });
  /** Calls a route as the HTTP API would: the route key matched, the authorizer's claims on the event. */
  const call = async (
    method: string,
    path: string,
    { caller, body }: { caller?: TestCaller; body?: unknown } = {},
  ): Promise<{
    status: number;
    headers: Record<string, string>;
    // biome-ignore lint/suspicious/noExplicitAny: answers are JSON of many shapes that the tests look into
    body: any;
    raw: APIGatewayProxyStructuredResultV2;
  }> => {
    const url = new URL(path, PUBLIC_URL);
    // Static paths win over templated ones, as in API Gateway.
    const byStatic = [...licencesRoutes].sort((a, b) => a.path.split('{').length - b.path.split('{').length);
    const route = byStatic.find((candidate) => {
      if (candidate.method !== method) return false;
      const pattern = new RegExp(`^${candidate.path.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      return pattern.test(url.pathname);
    });
    if (!route) throw new Error(`no route ${method} ${url.pathname}`);
    const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    const values = new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '([^/]+)')}$`).exec(url.pathname)!.slice(1);
    const token = caller ? randomUUID() : undefined;
    if (token && caller) tokens.set(token, caller);
    const claims = caller
      ? {
          sub: caller.sub,
          jti: randomUUID(),
          scope: caller.scope ?? '',
          client_id: caller.sub,
          ...(caller.department ? { department: caller.department } : {}),
        }
      : undefined;
    const event = {
      version: '2.0',
      routeKey: `${route.method} ${route.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
      pathParameters: names.length
        ? Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(values[i]!)]))
        : undefined,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: {
        requestId: randomUUID(),
        routeKey: `${route.method} ${route.path}`,
        http: { method, path: url.pathname, sourceIp: '127.0.0.1' },
        ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
      },
    } as unknown as APIGatewayProxyEventV2;
    const raw = (await handler(event, lambdaContext() as Context)) as APIGatewayProxyStructuredResultV2;
    const headers = (raw.headers ?? {}) as Record<string, string>;
    const text = raw.body ?? '';
    const parsed = /json/.test(headers['content-type'] ?? '') && text ? JSON.parse(text) : text;
    return { status: raw.statusCode ?? 200, headers, body: parsed, raw };
  };
  return { store, archive, audits, notifications, deps, handler, tokens, call };
}
