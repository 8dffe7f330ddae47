import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { auditEmitter, auditEventSchema, type AuditEvent } from '../../../shared/audit.ts';
import { httpHandler, json } from '../../../shared/http.ts';
import { defineRoute } from '../../../shared/route-contract.ts';

const GATEWAY_ID = 'gw-audit-1';
const event = (headers: Record<string, string>, gatewayId = GATEWAY_ID): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey: 'POST /things',
  rawPath: '/things',
  rawQueryString: '',
  headers,
  isBase64Encoded: false,
  requestContext: {
    accountId: '000000000000',
    apiId: 'api',
    domainName: 'api.example.test',
    domainPrefix: 'api',
    http: { method: 'POST', path: '/things', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
    requestId: gatewayId,
    routeKey: 'POST /things',
    stage: '$default',
    time: '01/Jan/2025:00:00:00 +0000',
    timeEpoch: 1_735_689_600_000,
  },
});
const context = { awsRequestId: 'x', functionName: 'f', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** A route that audits with whatever request id its handler sees, as identity's use cases do. */
function auditedRoute(pause: () => Promise<void> = async () => undefined) {
  const sent: AuditEvent[] = [];
  const emit = auditEmitter(async (body) => void sent.push(auditEventSchema.parse(JSON.parse(body))), 'cn-north-1');
  const contract = defineRoute({
    method: 'POST',
    path: '/things',
    operationId: 'createThing',
    summary: 'audit a thing',
    tags: ['things'],
    auth: 'none' as const,
    responses: { 200: { description: 'audited' } },
  });
  const handler = httpHandler(contract, async (request) => {
    await pause();
    if (request.headers['x-fail']) throw new Error('the handler failed');
    await emit({
      actor: { kind: 'anonymous', id: 'x' },
      action: 'things.create',
      resource: `thing/${request.raw.requestContext.requestId}`,
      outcome: 'success',
      requestId: request.requestId,
    });
    return json(200, {});
  });
  return {
    sent,
    // A context of its own per invocation, as Lambda gives: the parsed request is kept by its context.
    invoke: (headers: Record<string, string>, gatewayId?: string) => handler(event(headers, gatewayId), { ...context }),
  };
}

describe('audit events and request ids', () => {
  it("keep the server's request id, with the caller's x-request-id beside it", async () => {
    const { sent, invoke } = auditedRoute();
    const response = await invoke({ 'x-request-id': 'caller-chosen-1' });
    expect(response.headers?.['x-request-id']).toBe('caller-chosen-1'); // still echoed
    expect(sent).toEqual([expect.objectContaining({ requestId: GATEWAY_ID, callerRequestId: 'caller-chosen-1' })]);
  });

  it('a caller that sends none leaves only the server id', async () => {
    const { sent, invoke } = auditedRoute();
    await invoke({});
    expect(sent[0]!.requestId).toBe(GATEWAY_ID);
    expect(sent[0]!.callerRequestId).toBeUndefined();
  });

  it("a caller's id that is another request's cannot replace the server id", async () => {
    const { sent, invoke } = auditedRoute();
    await invoke({ 'x-request-id': 'gw-audit-0' });
    expect(sent[0]).toMatchObject({ requestId: GATEWAY_ID, callerRequestId: 'gw-audit-0' });
  });

  it('outside a request, the id given is kept', async () => {
    const sent: string[] = [];
    const emit = auditEmitter(async (body) => void sent.push(body), 'cn-north-1');
    const emitted = await emit({
      actor: { kind: 'system', id: 'identity' },
      action: 'identity.token.revoke-family',
      resource: 'family/1',
      outcome: 'success',
      requestId: 'job-7',
    });
    expect(emitted.requestId).toBe('job-7');
    expect(emitted.callerRequestId).toBeUndefined();
  });

  it('requests served at once in one process each keep their own ids', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { sent, invoke } = auditedRoute(() => gate);
    const answers = Promise.all([
      invoke({ 'x-request-id': 'caller-a' }, 'gw-a'),
      invoke({}, 'gw-b'),
      invoke({ 'x-request-id': 'caller-c' }, 'gw-c'),
    ]);
    release();
    await answers;
    const ids = sent.map((audited) => [audited.requestId, audited.callerRequestId]);
    expect(ids).toEqual(
      expect.arrayContaining([
        ['gw-a', 'caller-a'],
        ['gw-b', undefined],
        ['gw-c', 'caller-c'],
      ]),
    );
  });

  it("two requests in flight with one caller id: neither event carries the other's server id", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { sent, invoke } = auditedRoute(() => gate);
    const answers = Promise.all([
      invoke({ 'x-request-id': 'same' }, 'gw-1'),
      invoke({ 'x-request-id': 'same' }, 'gw-2'),
    ]);
    release();
    await answers;
    expect(sent).toHaveLength(2);
    // Its own server id, or the id it was given; never the other request's.
    const [first, second] = ['gw-1', 'gw-2'].map((id) => sent.find((audited) => audited.resource === `thing/${id}`)!);
    expect(['gw-1', 'same']).toContain(first!.requestId);
    expect(['gw-2', 'same']).toContain(second!.requestId);
  });

  it('a request that failed leaves nothing behind: a later event with its id keeps the id given', async () => {
    const { invoke } = auditedRoute();
    const failed = await invoke({ 'x-request-id': 'caller-failed', 'x-fail': '1' }, 'gw-failed');
    expect(failed.statusCode).toBe(500);
    const emit = auditEmitter(async () => undefined, 'cn-north-1');
    const later = await emit({
      actor: { kind: 'system', id: 'job' },
      action: 'things.sweep',
      resource: 'thing/1',
      outcome: 'success',
      requestId: 'caller-failed',
    });
    expect(later).toMatchObject({ requestId: 'caller-failed' });
    expect(later.callerRequestId).toBeUndefined();
  });
});
