import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRoutes } from '../../functions/routes.ts';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { call, target } from '../support/target.ts';

const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe.skipIf(!target.apiUrl)(`platform journeys against ${target.name}`, () => {
  it('reports every dependency ok on /health', async () => {
    const health = await call('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', version, dependencies: { dynamodb: 'ok', sqs: 'ok', s3: 'ok' } });
    expect(typeof health.body.region).toBe('string');
  });

  it('echoes the caller request id and sends the security headers', async () => {
    const health = await call('/health', { headers: { 'x-request-id': 'journey-0001' } });
    expect(health.headers.get('x-request-id')).toBe('journey-0001');
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('describes every route in /openapi.json', async () => {
    const openapi = await call('/openapi.json');
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toBe('3.1.0');
    const paths = openapi.body.paths as Record<string, Record<string, { operationId: string }>>;
    for (const route of allRoutes)
      expect(paths[route.path]?.[route.method.toLowerCase()]?.operationId).toBe(route.operationId);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const missing = await call('/no/such/thing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.body).toMatchObject({ status: 404, type: 'urn:dgov:problem:not-found' });
    expect(missing.body.requestId).toBeTruthy();
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const wrong = await call('/health', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe.skipIf(target.name !== 'embedded' || !target.apiUrl)('npm start', () => {
  it('writes the resolved environment that `dgov env --json` prints', () => {
    const printed = execFileSync(join(PROJECT_ROOT, 'cli/bin.mjs'), ['env', '--json'], {
      env: { ...process.env, DGOV_LOCAL_DIR: target.localDir },
      encoding: 'utf8',
    });
    const env = JSON.parse(printed) as {
      apiUrl: string;
      region: string;
      endpoints: Record<string, string>;
      tables: Record<string, string>;
      buckets: Record<string, string>;
      queues: Record<string, string>;
    };
    expect(env.apiUrl).toBe(target.apiUrl);
    expect(env.region).toBe('cn-north-1');
    expect(Object.keys(env.endpoints).sort()).toEqual(['dynamodb', 's3', 'sns', 'sqs']);
    expect(env.tables.controlTable).toMatch(/ControlTable/);
    expect(env.buckets.auditBucket).toMatch(/auditbucket/);
    expect(env.queues.auditQueue).toMatch(/AuditQueue/);
  });
});
