import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/aws-clients.ts';
import { DynamoDbLocal } from '../../local/embedded-aws.ts';
import { freePort } from '../../local/ports.ts';
import { createSingleTable } from '../../local/single-table.ts';
import { failoverDocumentClient } from '../../shared/aws/failover.ts';
import { httpHandler, json, type HttpResult } from '../../shared/http.ts';
import { defineRoute } from '../../shared/route-contract.ts';

/**
 * A dependency that hangs: DynamoDB Local frozen with SIGSTOP keeps accepting connections (its
 * kernel does) and never answers. A route writing through the shared client must answer 503 with
 * Retry-After within 3 s, far inside the function's 10 s timeout, and work again after SIGCONT.
 * The instance is this test's own, so freezing it stalls no other test.
 */
const REGION = 'cn-north-1';
const TABLE = 'dgov-test-timeouts';

let dynamodb: DynamoDbLocal;
let pid: number;
let frozen = false;

beforeAll(async () => {
  dynamodb = new DynamoDbLocal({ dynamodbPort: await freePort() });
  await dynamodb.start();
  pid = (dynamodb as unknown as { process: ChildProcess }).process.pid!;
  await createSingleTable(
    new DynamoDBClient({ region: REGION, endpoint: dynamodb.endpoint, credentials: LOCAL_CREDENTIALS }),
    TABLE,
  );
});

afterAll(async () => {
  if (frozen) process.kill(pid, 'SIGCONT');
  await dynamodb?.stop();
});

/** What a function gets from shared/aws/dynamodb.ts, pointed at this instance. */
const documents = () =>
  failoverDocumentClient({
    env: { AWS_REGION: REGION, AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint },
    clientConfig: { region: REGION, endpoint: dynamodb.endpoint, credentials: LOCAL_CREDENTIALS },
  });

const route = defineRoute({
  method: 'POST',
  path: '/things',
  operationId: 'putThing',
  summary: 'writes one item',
  tags: [],
  auth: 'none',
  responses: { 201: { description: 'written' } },
});

const event = (n: number) =>
  ({
    version: '2.0',
    routeKey: 'POST /things',
    rawPath: '/things',
    rawQueryString: '',
    headers: { 'x-request-id': `timeouts-${n}` },
    isBase64Encoded: false,
    requestContext: { requestId: `gw-${n}`, http: { method: 'POST', path: '/things', sourceIp: '127.0.0.1' } },
  }) as unknown as APIGatewayProxyEventV2;
const context = {
  awsRequestId: 'timeouts',
  functionName: 'timeouts',
  getRemainingTimeInMillis: () => 10_000,
} as Context;

describe('a hung DynamoDB (SIGSTOP)', () => {
  it('answers 503 dependency-unavailable with Retry-After within 3 s, and 201 again after SIGCONT', async () => {
    const client = documents();
    let n = 0;
    const handler = httpHandler(route, async () => {
      await client.send(new PutCommand({ TableName: TABLE, Item: { pk: `thing#${n}`, sk: 'thing' } }));
      return json(201, { n });
    });
    const call = async () => {
      const started = Date.now();
      const response = (await handler(event(++n), context)) as HttpResult;
      return { response, ms: Date.now() - started };
    };

    expect((await call()).response.statusCode).toBe(201);

    process.kill(pid, 'SIGSTOP');
    frozen = true;
    const { response, ms } = await call();
    console.info(`timeouts: a frozen DynamoDB Local answered ${response.statusCode} after ${ms} ms`);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '5', 'content-type': 'application/problem+json' });
    expect(JSON.parse(response.body!)).toMatchObject({
      type: 'urn:dgov:problem:dependency-unavailable',
      dependency: 'dynamodb',
      requestId: `timeouts-${n}`,
    });
    expect(ms).toBeLessThan(3_000);

    process.kill(pid, 'SIGCONT');
    frozen = false;
    const back = await call();
    console.info(`timeouts: after SIGCONT it answered ${back.response.statusCode} in ${back.ms} ms`);
    expect(back.response.statusCode).toBe(201);
  });
});
