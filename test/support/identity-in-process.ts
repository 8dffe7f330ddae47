import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../cli/identity/clients.ts';
import { IDENTITY_ENV } from '../../functions/identity/env.ts';
import { ENV } from '../../shared/env-names.ts';
import { MemoryIdentityStore } from './memory-identity-store.ts';

/**
 * The identity function in-process, on the memory store and with audit events dropped. A test file
 * that uses it mocks the DynamoDB store and the SQS sender with these (vi.mock is hoisted per file):
 *
 *   vi.mock(import('../../../functions/identity/store.ts'), () => ({ dynamoIdentityStore: () => identityStore }));
 *   vi.mock(import('../../../shared/audit.ts'), async (original) => ({ ...(await original()), sqsAuditSender: () => async () => undefined }));
 */
export const identityStore = new MemoryIdentityStore();

export const ISSUER = 'http://127.0.0.1:3000';
export const CONFIDENTIAL = { id: 'dept-in-process', secret: '' };
export const PUBLIC_CLIENT = { id: 'portal-in-process', redirect: 'http://127.0.0.1:8080/callback' };

type IdentityHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

let loaded: Promise<IdentityHandler> | undefined;

/**
 * The token keys, as after a rotation (DGOV_TOKEN_KEYS lists the signing key first, then the one it
 * replaced, still published until its tokens expire).
 */
export const TOKEN_KEY_FILES = { signing: '', retired: '' };

const newKeyFile = (dir: string, name: string) => {
  const file = join(dir, name);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return file;
};

/** Sets the function's environment (fresh key files), registers two clients, then imports the handler once. */
export const identityHandler = (): Promise<IdentityHandler> =>
  (loaded ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgov-identity-'));
    TOKEN_KEY_FILES.signing = newKeyFile(dir, 'token-signing.pem');
    TOKEN_KEY_FILES.retired = newKeyFile(dir, 'token-signing-retired.pem');
    Object.assign(process.env, {
      AWS_REGION: 'cn-north-1',
      [IDENTITY_ENV.identityTable]: 'identity',
      [IDENTITY_ENV.tokenKeys]: `file:${TOKEN_KEY_FILES.signing}, file:${TOKEN_KEY_FILES.retired}`,
      [IDENTITY_ENV.issuer]: ISSUER,
      [ENV.controlTable]: 'control',
      [ENV.auditQueueUrl]: 'http://127.0.0.1:1/000000000000/audit',
    });
    CONFIDENTIAL.secret = (
      await createClient(
        { clientId: CONFIDENTIAL.id, kind: 'confidential', scopes: ['licences:issue'], redirectUris: [] },
        identityStore,
      )
    ).client_secret!;
    await createClient(
      { clientId: PUBLIC_CLIENT.id, kind: 'public', scopes: ['openid'], redirectUris: [PUBLIC_CLIENT.redirect] },
      identityStore,
    );
    const { handler } = await import('../../functions/identity/handler.ts');
    return handler as IdentityHandler;
  })());

export const lambdaContext = (): Context =>
  ({
    awsRequestId: 'in-process',
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'identity',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws-cn:lambda:cn-north-1:000000000000:function:identity',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/identity',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

export interface RequestParts {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  cookies?: string[];
  query?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** The v2 event API Gateway sends for a request to one of the identity routes. */
export function identityEvent(parts: RequestParts): APIGatewayProxyEventV2 {
  const routeKey = `${parts.method} ${parts.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: parts.path,
    rawQueryString: new URLSearchParams(parts.query ?? {}).toString(),
    headers: parts.headers ?? {},
    ...(parts.cookies ? { cookies: parts.cookies } : {}),
    ...(parts.query ? { queryStringParameters: parts.query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: {
        method: parts.method,
        path: parts.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'vitest',
      },
      requestId: 'gateway-request-id',
      routeKey,
      stage: '$default',
      time: '30/Nov/2026:00:00:00 +0000',
      timeEpoch: 1_795_996_800_000,
    },
    ...(parts.body !== undefined ? { body: parts.body } : {}),
    isBase64Encoded: parts.isBase64Encoded ?? false,
  };
}
