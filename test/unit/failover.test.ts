import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  FailoverRouter,
  homeOnly,
  isFailoverError,
  peerFromEnv,
  withFailover,
  type FailoverEvent,
} from '../../shared/aws/failover.ts';

/** Errors shaped as the SDK v3 and Node's socket layer throw them. */
const sdkError = (name: string, status: number, extra: object = {}) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('isFailoverError: only "the region is unreachable or overloaded" moves a request', () => {
  it.each([
    ['connection refused', socketError('ECONNREFUSED')],
    ['connection reset mid-request', socketError('ECONNRESET')],
    ['connect timed out', socketError('ETIMEDOUT')],
    ['host unreachable', socketError('EHOSTUNREACH')],
    ['DNS failure', socketError('ENOTFOUND')],
    [
      'happy-eyeballs AggregateError of refusals',
      Object.assign(new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]), {
        code: undefined,
      }),
    ],
    ['the SDK request timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a cause nesting a reset', Object.assign(new Error('fetch failed'), { cause: socketError('ECONNRESET') })],
    ['500 InternalServerError', sdkError('InternalServerError', 500)],
    ['503 ServiceUnavailable', sdkError('ServiceUnavailable', 503)],
    ['throttling after the SDK retries', sdkError('ThrottlingException', 400)],
    ['provisioned throughput exceeded', sdkError('ProvisionedThroughputExceededException', 400)],
    ['request limit exceeded', sdkError('RequestLimitExceeded', 400)],
    ['an error the SDK marks as throttling', sdkError('SomethingNew', 400, { $retryable: { throttling: true } })],
  ])('fails over on %s', (_what, error) => {
    expect(isFailoverError(error)).toBe(true);
  });

  it.each([
    ['ConditionalCheckFailed', sdkError('ConditionalCheckFailedException', 400)],
    ['a validation error', sdkError('ValidationException', 400)],
    ['a cancelled transaction', sdkError('TransactionCanceledException', 400)],
    ['access denied', sdkError('AccessDeniedException', 403)],
    ['a missing table', sdkError('ResourceNotFoundException', 400)],
    ['a missing queue', sdkError('QueueDoesNotExist', 400, { code: 'ECONNREFUSED' })],
    ['a plain programming error', new TypeError('x is undefined')],
    ['nothing at all', undefined],
  ])('stays on %s', (_what, error) => {
    expect(isFailoverError(error)).toBe(false);
  });
});

/** A client whose answers are scripted per call; it records every command it received. */
const scripted = (...answers: (unknown | Error)[]) => {
  const received: object[] = [];
  return {
    received,
    send: async (command: object) => {
      received.push(command);
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
};

describe('FailoverRouter', () => {
  const clock = () => {
    let now = 1_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('serves from home while home answers', async () => {
    const home = scripted('home');
    const peer = scripted('peer');
    const router = new FailoverRouter({ name: 'a', client: home }, { name: 'b', client: peer });
    expect((await router.run((client) => client.send({}))).result).toBe('home');
    expect(peer.received).toHaveLength(0);
  });

  it('sends the request to the peer when home is unreachable, then skips home for the cooldown, then tries home again', async () => {
    const time = clock();
    const events: FailoverEvent[] = [];
    const home = scripted(socketError('ECONNREFUSED'), socketError('ECONNREFUSED'), 'home again');
    const peer = scripted('peer');
    const router = new FailoverRouter(
      { name: 'a', client: home },
      { name: 'b', client: peer },
      { cooldownMs: 30_000, now: time.now, onFailover: (e) => events.push(e) },
    );

    expect(await router.run((client) => client.send({}))).toMatchObject({ result: 'peer', target: { name: 'b' } });
    expect(events).toEqual([expect.objectContaining({ from: 'a', to: 'b' })]);
    expect(router.failedOver).toBe(true);

    time.advance(29_000);
    expect((await router.run((client) => client.send({}))).result).toBe('peer');
    expect(home.received).toHaveLength(1); // skipped during the cooldown

    time.advance(2_000);
    expect((await router.run((client) => client.send({}))).result).toBe('peer'); // home tried first, still down
    expect(home.received).toHaveLength(2);
    time.advance(31_000);
    expect((await router.run((client) => client.send({}))).result).toBe('home again'); // failed back
    expect(router.failedOver).toBe(false);
  });

  it('never sends a 4xx request elsewhere: ConditionalCheckFailed comes back as is', async () => {
    const home = scripted(sdkError('ConditionalCheckFailedException', 400));
    const peer = scripted('peer');
    const router = new FailoverRouter({ name: 'a', client: home }, { name: 'b', client: peer });
    await expect(router.run((client) => client.send({}))).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    expect(peer.received).toHaveLength(0);
    expect(router.failedOver).toBe(false);
  });

  it("reports the peer's error when both regions fail, and the home error without a peer", async () => {
    const both = new FailoverRouter(
      { name: 'a', client: scripted(socketError('ECONNREFUSED')) },
      { name: 'b', client: scripted(sdkError('InternalServerError', 500)) },
    );
    await expect(both.run((client) => client.send({}))).rejects.toMatchObject({ name: 'InternalServerError' });
    const alone = new FailoverRouter({ name: 'a', client: scripted(socketError('ECONNREFUSED')) }, undefined);
    await expect(alone.run((client) => client.send({}))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('tries home when the peer fails during the cooldown', async () => {
    const home = scripted(socketError('ECONNREFUSED'), 'home back');
    const peer = scripted('peer', socketError('ECONNRESET'));
    const router = new FailoverRouter({ name: 'a', client: home }, { name: 'b', client: peer });
    expect((await router.run((client) => client.send({}))).result).toBe('peer');
    expect((await router.run((client) => client.send({}))).result).toBe('home back');
    expect(router.failedOver).toBe(false);
  });
});

describe('peerFromEnv', () => {
  it('has no peer without DGOV_PEER_REGION, or when it names the home region', () => {
    expect(peerFromEnv('dynamodb', { AWS_REGION: 'cn-north-1' })).toBeUndefined();
    expect(peerFromEnv('dynamodb', { AWS_REGION: 'cn-north-1', DGOV_PEER_REGION: 'cn-north-1' })).toBeUndefined();
  });

  it("uses the peer region's public endpoint in the cloud", () => {
    expect(peerFromEnv('dynamodb', { AWS_REGION: 'cn-north-1', DGOV_PEER_REGION: 'cn-northwest-1' })).toEqual({
      region: 'cn-northwest-1',
    });
  });

  it('turns failover off beside an emulator that has no second region (it would be the same emulator)', () => {
    expect(
      peerFromEnv('dynamodb', {
        AWS_REGION: 'cn-north-1',
        DGOV_PEER_REGION: 'cn-northwest-1',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
      }),
    ).toBeUndefined();
    expect(
      peerFromEnv('sqs', {
        AWS_REGION: 'cn-north-1',
        DGOV_PEER_REGION: 'cn-northwest-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      }),
    ).toBeUndefined();
  });

  it('uses the peer endpoint variable beside an emulator', () => {
    expect(
      peerFromEnv('dynamodb', {
        AWS_REGION: 'cn-north-1',
        DGOV_PEER_REGION: 'cn-northwest-1',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
        DGOV_PEER_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8001',
      }),
    ).toEqual({ region: 'cn-northwest-1', endpoint: 'http://127.0.0.1:8001' });
    expect(
      peerFromEnv('sqs', {
        AWS_REGION: 'cn-north-1',
        DGOV_PEER_REGION: 'cn-northwest-1',
        DGOV_PEER_ENDPOINT_URL_SQS: 'http://127.0.0.1:4567',
      }),
    ).toEqual({
      region: 'cn-northwest-1',
      endpoint: 'http://127.0.0.1:4567',
    });
  });
});

describe('withFailover on an SQS client', () => {
  const HOME = 'https://sqs.cn-north-1.amazonaws.com.cn/000000000000/dgov-dev-audit';
  const PEER = 'https://sqs.cn-northwest-1.amazonaws.com.cn/000000000000/dgov-dev-audit';
  const translate = (command: object) => {
    const input = (command as { input: { QueueUrl?: string } }).input;
    if (input.QueueUrl !== HOME) return undefined;
    input.QueueUrl = PEER;
    return command;
  };

  it("sends to the peer's queue of the same name, leaving the caller's command as it was", async () => {
    const home = scripted(socketError('ECONNREFUSED'));
    const peer = scripted({ MessageId: 'm-1' });
    const served: string[] = [];
    const client = withFailover(
      { name: 'cn-north-1', client: home },
      { name: 'cn-northwest-1', client: peer },
      { translate, onServed: (target) => served.push(target) },
    );
    const command = new SendMessageCommand({ QueueUrl: HOME, MessageBody: 'x' });
    expect(await client.send(command as never)).toEqual({ MessageId: 'm-1' });
    expect((peer.received[0] as SendMessageCommand).input).toEqual({ QueueUrl: PEER, MessageBody: 'x' });
    expect(peer.received[0]).toBeInstanceOf(SendMessageCommand);
    expect(command.input.QueueUrl).toBe(HOME);
    expect(served).toEqual(['cn-northwest-1']);
  });

  it('keeps a queue without a counterpart (a DLQ) at home, failing with the home error', async () => {
    const home = scripted(socketError('ECONNREFUSED'));
    const peer = scripted({ MessageId: 'never' });
    const client = withFailover(
      { name: 'cn-north-1', client: home },
      { name: 'cn-northwest-1', client: peer },
      { translate },
    );
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: `${HOME}-dlq`, MessageBody: 'x' }) as never),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(peer.received).toHaveLength(0);
  });
});

describe('withFailover and a homeOnly command (a conditional consume)', () => {
  it('never sends it to the other region: unreachable home fails it, even during a cooldown', async () => {
    const home = scripted(socketError('ECONNREFUSED'));
    const peer = scripted({ Attributes: { used: true } });
    const client = withFailover({ name: 'cn-north-1', client: home }, { name: 'cn-northwest-1', client: peer });
    const consume = () =>
      homeOnly(
        new UpdateCommand({
          TableName: 'identity',
          Key: { pk: 'refresh#x', sk: 'refresh' },
          UpdateExpression: 'SET used = :true',
          ConditionExpression: 'used = :false',
          ExpressionAttributeValues: { ':true': true, ':false': false },
        }),
      );
    await expect(client.send(consume() as never)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // Another request moves the client to the peer for the cooldown; the consume still goes home only.
    await client.send(new GetCommand({ TableName: 'identity', Key: { pk: 'a', sk: 'b' } }) as never);
    expect(client.failover.failedOver).toBe(true);
    await expect(client.send(consume() as never)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(peer.received.map((command) => command.constructor.name)).toEqual(['GetCommand']);
    expect(home.received).toHaveLength(3);
  });
});
