import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { auditEmitter, auditEventSchema, type AuditEvent } from '../../../shared/audit.ts';
import { httpHandler, json } from '../../../shared/http.ts';
import { logger } from '../../../shared/observability.ts';
import { defineRoute } from '../../../shared/route-contract.ts';
import * as z from 'zod/mini';

// The handlers made to fail here are logged as unhandled errors: asserted, not printed.
const loggedErrors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
afterAll(() => loggedErrors.mockRestore());

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
  const audit = (request: { requestId: string; raw: APIGatewayProxyEventV2 }, action = 'things.create') =>
    emit({
      actor: { kind: 'anonymous', id: 'x' },
      action,
      resource: `thing/${request.raw.requestContext.requestId}`,
      outcome: 'success',
      requestId: request.requestId,
    });
  const handler = httpHandler(contract, async (request) => {
    await pause();
    if (request.headers['x-fail']) throw new Error('the handler failed');
    await audit(request);
    return json(200, {});
  });
  return {
    sent,
    emit,
    audit,
    contract,
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
    const emitted = await emitOutsideRequest('job-7');
    expect(emitted.requestId).toBe('job-7');
    expect(emitted.callerRequestId).toBeUndefined();
  });

  it('requests served at once in one process each keep their own ids', async () => {
    const gate = latch();
    const { sent, invoke } = auditedRoute(() => gate.promise);
    const answers = Promise.all([
      invoke({ 'x-request-id': 'caller-a' }, 'gw-a'),
      invoke({}, 'gw-b'),
      invoke({ 'x-request-id': 'caller-c' }, 'gw-c'),
    ]);
    gate.release();
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
    const gate = latch();
    const { sent, invoke } = auditedRoute(() => gate.promise);
    const answers = Promise.all([
      invoke({ 'x-request-id': 'same' }, 'gw-1'),
      invoke({ 'x-request-id': 'same' }, 'gw-2'),
    ]);
    gate.release();
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
    expect(loggedErrors).toHaveBeenCalledWith(
      'unhandled error',
      expect.objectContaining({ message: 'the handler failed' }),
    );
    const later = await emitOutsideRequest('caller-failed');
    expect(later).toMatchObject({ requestId: 'caller-failed' });
    expect(later.callerRequestId).toBeUndefined();
  });

  it("a caller's id equal to another in-flight request's server id: neither event carries the other's", async () => {
    const gate = latch();
    const { sent, invoke } = auditedRoute(() => gate.promise);
    const answers = Promise.all([invoke({}, 'gw-victim'), invoke({ 'x-request-id': 'gw-victim' }, 'gw-forger')]);
    gate.release();
    await answers;
    expect(eventOf(sent, 'gw-victim')).toMatchObject({ requestId: 'gw-victim' });
    expect(eventOf(sent, 'gw-forger')).toMatchObject({ requestId: 'gw-forger', callerRequestId: 'gw-victim' });
  });

  it('requests in flight with one caller id each carry their own server id', async () => {
    const gate = latch();
    const { sent, invoke } = auditedRoute(() => gate.promise);
    const gateways = Array.from({ length: 5 }, (_, i) => `gw-same-${i}`);
    const answers = Promise.all(gateways.map((gw) => invoke({ 'x-request-id': 'same' }, gw)));
    gate.release();
    await answers;
    for (const gw of gateways) expect(eventOf(sent, gw)).toMatchObject({ requestId: gw, callerRequestId: 'same' });
  });

  it("work a handler left running keeps its request's ids, not those of a later request with its caller id", async () => {
    const { sent, audit, contract } = auditedRoute();
    const straggler = latch();
    let stray: Promise<unknown> | undefined;
    const first = httpHandler(contract, async (request) => {
      // Started and not awaited: it outlives the request (a frozen sandbox thaws it in the next one).
      stray = straggler.promise.then(() => audit(request, 'things.late'));
      return json(200, {});
    });
    await first(event({ 'x-request-id': 'retried' }, 'gw-first'), { ...context });
    const secondInFlight = latch();
    const second = httpHandler(contract, async (request) => {
      straggler.release();
      await stray;
      await secondInFlight.promise;
      await audit(request);
      return json(200, {});
    });
    const answer = second(event({ 'x-request-id': 'retried' }, 'gw-second'), { ...context });
    secondInFlight.release();
    await answer;
    const late = sent.find((audited) => audited.action === 'things.late')!;
    expect(late.requestId).not.toBe('gw-second');
    expect(late).toMatchObject({ requestId: 'gw-first', callerRequestId: 'retried' });
    expect(eventOf(sent, 'gw-second')).toMatchObject({ requestId: 'gw-second', callerRequestId: 'retried' });
  });

  it('a handler that invokes another in-process: each event carries its own server id', async () => {
    const { sent, audit, contract, invoke } = auditedRoute();
    const outer = httpHandler(contract, async (request) => {
      // Forwards the caller's id, as a client propagating x-request-id does.
      const inner = await invoke({ 'x-request-id': request.requestId }, 'gw-inner');
      expect(inner.statusCode).toBe(200);
      await audit(request, 'things.outer');
      return json(200, {});
    });
    const innerWhileOuterWaits = httpHandler(contract, async (request) => {
      const nested = invoke({ 'x-request-id': request.requestId }, 'gw-nested');
      await audit(request, 'things.outer-concurrent');
      await nested;
      return json(200, {});
    });
    await outer(event({ 'x-request-id': 'chain' }, 'gw-outer'), { ...context });
    await innerWhileOuterWaits(event({ 'x-request-id': 'chain' }, 'gw-outer-2'), { ...context });
    expect(sent.find((audited) => audited.action === 'things.outer')).toMatchObject({ requestId: 'gw-outer' });
    expect(eventOf(sent, 'gw-inner')).toMatchObject({ requestId: 'gw-inner', callerRequestId: 'chain' });
    expect(sent.find((audited) => audited.action === 'things.outer-concurrent')).toMatchObject({
      requestId: 'gw-outer-2',
      callerRequestId: 'chain',
    });
    expect(eventOf(sent, 'gw-nested')).toMatchObject({ requestId: 'gw-nested', callerRequestId: 'chain' });
  });

  it("a caller's id equal to its own server id is kept once, as both", async () => {
    const { sent, invoke } = auditedRoute();
    await invoke({ 'x-request-id': 'gw-self' }, 'gw-self');
    expect(sent[0]).toMatchObject({ requestId: 'gw-self', callerRequestId: 'gw-self' });
  });

  it.each([
    ['empty', '', undefined],
    ['128 characters', 'a'.repeat(128), 'a'.repeat(128)],
    ['129 characters', 'a'.repeat(129), undefined],
    ['a space', 'has space', undefined],
    ['a comma (two ids joined)', 'one,two', undefined],
    ['a newline', 'line\nbreak', undefined],
  ])('an x-request-id that is %s: the server id, and the caller id only when sane', async (_, given, caller) => {
    const { sent, invoke } = auditedRoute();
    const response = await invoke({ 'x-request-id': given }, 'gw-odd');
    expect(response.headers?.['x-request-id']).toBe(caller ?? 'gw-odd');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.requestId).toBe('gw-odd');
    expect(sent[0]!.callerRequestId).toBe(caller);
  });

  it('nothing is left behind by many requests, whatever their end: later events keep the id given', async () => {
    const { invoke, contract } = auditedRoute();
    const refusing = httpHandler(
      { ...contract, query: z.object({ n: z.string().check(z.regex(/^\d+$/)) }) },
      async () => json(200, {}),
    );
    const ends = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const headers = { 'x-request-id': `caller-${i}` };
        if (i % 3 === 0) return invoke({ ...headers, 'x-fail': '1' }, `gw-many-${i}`);
        if (i % 3 === 1)
          return refusing({ ...event(headers, `gw-many-${i}`), queryStringParameters: { n: 'x' } }, { ...context });
        return invoke(headers, `gw-many-${i}`);
      }),
    );
    expect(ends.map((end) => end.statusCode)).toEqual(Array.from({ length: 60 }, (_, i) => [500, 400, 200][i % 3]));
    for (const id of ['caller-0', 'caller-1', 'caller-2', 'gw-many-0', 'gw-many-1', 'gw-many-59']) {
      const later = await emitOutsideRequest(id);
      expect(later).toMatchObject({ requestId: id });
      expect(later.callerRequestId).toBeUndefined();
    }
  });
});

/** An audit event emitted by work that is not a request's (a job, a sweep), with the id it was given. */
const emitOutsideRequest = (requestId: string) =>
  auditEmitter(
    async () => undefined,
    'cn-north-1',
  )({
    actor: { kind: 'system', id: 'job' },
    action: 'things.sweep',
    resource: 'thing/1',
    outcome: 'success',
    requestId,
  });

function latch() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

const eventOf = (sent: AuditEvent[], gatewayId: string) =>
  sent.find((audited) => audited.resource === `thing/${gatewayId}` && audited.action === 'things.create');
