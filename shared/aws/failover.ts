import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../env-names.ts';
import { tracer } from '../observability.ts';
import { clientOptions, PEER_MAX_ATTEMPTS } from './client-options.ts';
import { isUnavailableError, namedDependency } from './unavailable.ts';

/**
 * Client-side failover between the two regions of a stage (active-active; README, "Two regions: the DR runbook").
 *
 * Every request goes to the home region first. When it fails in a way that says the home
 * region's service is unreachable or overloaded — no connection, a reset or timed-out socket,
 * a 5xx, or throttling the SDK has already retried `maxAttempts` times — the same request goes to
 * the other region, and for `cooldownMs` later requests go there first. After the cooldown the
 * home region is tried again (fail back by itself). An answer that is the caller's problem (4xx:
 * validation, ConditionalCheckFailed, a cancelled transaction, access denied) is never sent
 * elsewhere: the other region would say the same, or worse, say something different.
 *
 * What this can and cannot promise: a request that never reached the home region (refused,
 * unreachable, connect timeout) has not happened there and is safe to repeat. One that timed out
 * after it was sent, or got a 5xx, may have been applied at home; repeating it in the other region
 * is harmless for puts, deletes and `SET` updates (global tables converge, last writer wins) but
 * would apply an `ADD` counter twice. Callers whose writes must not repeat use a condition or an
 * idempotency key, as the stores here do.
 *
 * Time: a home region that hangs (connects, never answers) costs a request home's whole budget, two
 * attempts of ATTEMPT_TIMEOUT_MS (client-options.ts), before it moves; the peer then gets one attempt,
 * so a request that neither region answers fails in about 2.5 s. Within the cooldown, requests go to
 * the peer first and do not wait for home.
 */

/**
 * True when the error says the region's service is unreachable, hung (an SDK timeout), failing (5xx)
 * or throttling us after retries. A timed-out request may have been applied at home (see above).
 */
export const isFailoverError = (error: unknown): boolean => isUnavailableError(error);

export interface FailoverTarget<C> {
  /** The region (or any label) the target serves; reported in events. */
  name: string;
  client: C;
}

export interface FailoverEvent {
  from: string;
  to: string;
  error: unknown;
}

export interface FailoverOptions {
  /** How long the home region is skipped after it failed (default 30 s); then it is tried first again. */
  cooldownMs?: number;
  now?: () => number;
  /** Called when a request leaves one target for the other. */
  onFailover?: (event: FailoverEvent) => void;
  /** Called with the target that answered a request (for metrics, and for tests that check where data went). */
  onServed?: (target: string, command: object) => void;
}

/** Sends each request to the home target, or to the peer when home is unreachable. */
export class FailoverRouter<C> {
  private homeDownUntil = 0;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(
    readonly home: FailoverTarget<C>,
    readonly peer: FailoverTarget<C> | undefined,
    private readonly options: FailoverOptions = {},
  ) {
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Whether requests currently go to the peer first. */
  get failedOver(): boolean {
    return this.peer !== undefined && this.now() < this.homeDownUntil;
  }

  /**
   * Runs `operation` against the preferred target, then the other one if the first failed with
   * a failover error. `operation` receives the client and the target, so it can address the
   * target's own resources (a queue URL differs per region; a global table's name does not).
   */
  async run<T>(
    operation: (client: C, target: FailoverTarget<C>) => Promise<T>,
  ): Promise<{ result: T; target: FailoverTarget<C> }> {
    if (!this.peer) return { result: await operation(this.home.client, this.home), target: this.home };
    const order = this.failedOver ? [this.peer, this.home] : [this.home, this.peer];
    for (const [index, target] of order.entries()) {
      try {
        const result = await operation(target.client, target);
        if (target === this.home) this.homeDownUntil = 0;
        return { result, target };
      } catch (error) {
        const last = index === order.length - 1;
        if (!isFailoverError(error) || last) throw error;
        if (target === this.home) this.homeDownUntil = this.now() + this.cooldownMs;
        this.options.onFailover?.({ from: target.name, to: order[index + 1]!.name, error });
      }
    }
    throw new Error('unreachable');
  }
}

/** Where the other region answers, from the environment; undefined means no failover. */
export function peerFromEnv(
  service: 'dynamodb' | 'sqs',
  env: Record<string, string | undefined> = process.env,
): { region: string; endpoint?: string } | undefined {
  const region = env[ENV.peerRegion];
  if (!region || region === env.AWS_REGION) return undefined;
  const homeEndpoint = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || env.AWS_ENDPOINT_URL;
  const peerEndpoint = env[service === 'dynamodb' ? ENV.peerDynamodbEndpoint : ENV.peerSqsEndpoint] || undefined;
  // Beside an emulator, the "other region" without an endpoint of its own would be the same emulator.
  if (homeEndpoint && !peerEndpoint) return undefined;
  return { region, ...(peerEndpoint ? { endpoint: peerEndpoint } : {}) };
}

type Sendable = { send(command: never): Promise<unknown> };

const homeOnlyCommands = new WeakSet<object>();

/**
 * Marks a command that must never be sent to the other region: a conditional consume (a one-time
 * code or token used up) is decided by one region's conditional write; repeated in the other region,
 * inside the replication lag, it could succeed a second time. Such a command fails when its region
 * is unreachable (a 503 for the caller), as the identity store's home-region items do (README,
 * "Two regions: the DR runbook").
 */
export const homeOnly = <T extends object>(command: T): T => {
  homeOnlyCommands.add(command);
  return command;
};

/** A fresh SDK command for another client: the same class, a shallow copy of the input. */
const copyOf = <T extends object>(command: T): T => {
  const CommandClass = (command as { constructor: new (input: unknown) => T }).constructor;
  return new CommandClass({ ...(command as { input?: object }).input });
};

/**
 * Makes `home.send` fail over to `peer` (DynamoDB, document or SQS client alike), keeping the
 * client's type, so code written against the plain SDK client gets failover without a change.
 * A command that names a resource by URL (SQS) is rewritten with `translate` for the peer.
 */
export function withFailover<C extends Sendable>(
  home: FailoverTarget<C>,
  peer: FailoverTarget<C> | undefined,
  options: FailoverOptions & { translate?: (command: object, target: FailoverTarget<C>) => object | undefined } = {},
): C & { failover: FailoverRouter<C> } {
  const router = new FailoverRouter(home, peer, options);
  const send = home.client.send.bind(home.client) as (command: object) => Promise<unknown>;
  const patched = home.client as C & { failover: FailoverRouter<C> };
  Object.assign(patched, {
    failover: router,
    send: async (command: object) => {
      // A command with no counterpart in the other region (translate says so), or one marked homeOnly, stays at home.
      const forPeer =
        peer &&
        !homeOnlyCommands.has(command) &&
        (options.translate ? options.translate(copyOf(command), peer) : copyOf(command));
      if (!forPeer) {
        const result = await send(command);
        options.onServed?.(home.name, command);
        return result;
      }
      const { result, target } = await router.run((client, target) =>
        target === home ? send(command) : (client as unknown as { send(c: object): Promise<unknown> }).send(forPeer),
      );
      options.onServed?.(target.name, command);
      return result;
    },
  });
  return patched;
}

const documentOptions = { marshallOptions: { removeUndefinedValues: true } } as const;

/** Each region's client is traced (X-Ray subsegments per call; a no-op where tracing is off) and names its dependency in its errors. */
const traced = <C extends DynamoDBClient | SQSClient>(client: C, dependency: 'dynamodb' | 'sqs'): C =>
  namedDependency(tracer.captureAWSv3Client(client), dependency);

/** A document client for the home region that fails over to the peer's replica of the same global table. */
export function failoverDocumentClient(
  options: FailoverOptions & {
    env?: Record<string, string | undefined>;
    home?: DynamoDBClient;
    clientConfig?: DynamoDBClientConfig;
  } = {},
) {
  const env = options.env ?? process.env;
  const homeClient =
    options.home ?? traced(new DynamoDBClient({ ...clientOptions, ...options.clientConfig }), 'dynamodb');
  const home = DynamoDBDocumentClient.from(homeClient, documentOptions);
  const peerAt = peerFromEnv('dynamodb', env);
  const { endpoint: _homeEndpoint, ...shared } = options.clientConfig ?? {}; // the home endpoint is never the peer's
  // The peer gets one attempt: by the time a request reaches it, home has used its retries (client-options.ts).
  const peerClient =
    peerAt &&
    traced(new DynamoDBClient({ ...clientOptions, ...shared, maxAttempts: PEER_MAX_ATTEMPTS, ...peerAt }), 'dynamodb');
  const peer = peerClient && DynamoDBDocumentClient.from(peerClient, documentOptions);
  return withFailover(
    { name: env.AWS_REGION ?? 'home', client: home },
    peer && { name: peerAt.region, client: peer },
    options,
  );
}

/**
 * A document client per region of the stage, none failing over: the serving region's (AWS_REGION)
 * and, where DGOV_PEER_REGION names one, the other region's replica of the same global tables. For
 * items with a home region (the identity store's codes, tokens, sessions, families), whose writes
 * must be applied in that region or not at all: a request served in the other region is forwarded
 * to the home region's table, and fails (503) when that region is unreachable.
 */
export function regionalDocumentClients(
  options: {
    env?: Record<string, string | undefined>;
    home?: DynamoDBClient;
    clientConfig?: DynamoDBClientConfig;
  } = {},
): Record<string, DynamoDBDocumentClient> {
  const env = options.env ?? process.env;
  const homeClient =
    options.home ?? traced(new DynamoDBClient({ ...clientOptions, ...options.clientConfig }), 'dynamodb');
  const clients: Record<string, DynamoDBDocumentClient> = {
    [env.AWS_REGION ?? 'home']: DynamoDBDocumentClient.from(homeClient, documentOptions),
  };
  const peerAt = peerFromEnv('dynamodb', env);
  if (peerAt) {
    const { endpoint: _homeEndpoint, ...shared } = options.clientConfig ?? {}; // the home endpoint is never the peer's
    const peer = traced(new DynamoDBClient({ ...clientOptions, ...shared, ...peerAt }), 'dynamodb');
    clients[peerAt.region] = DynamoDBDocumentClient.from(peer, documentOptions);
  }
  return clients;
}

/**
 * An SQS client for the home region that sends to the peer region's counterpart queue when the
 * home queue is unreachable. `peerQueues` maps a home queue URL to the peer's.
 */
export function failoverSqsClient(
  peerQueues: Record<string, string | undefined>,
  options: FailoverOptions & { env?: Record<string, string | undefined>; clientConfig?: SQSClientConfig } = {},
) {
  const env = options.env ?? process.env;
  const config = { ...clientOptions, useQueueUrlAsEndpoint: false, ...options.clientConfig } as SQSClientConfig;
  const home = traced(new SQSClient(config), 'sqs');
  const peerAt = peerFromEnv('sqs', env);
  const { endpoint: _homeEndpoint, ...shared } = config; // the home endpoint is never the peer's
  const peer = peerAt && traced(new SQSClient({ ...shared, maxAttempts: PEER_MAX_ATTEMPTS, ...peerAt }), 'sqs');
  return withFailover({ name: env.AWS_REGION ?? 'home', client: home }, peer && { name: peerAt.region, client: peer }, {
    ...options,
    translate: (command) => {
      const input = (command as { input: { QueueUrl?: string } }).input;
      const peerUrl = input.QueueUrl ? peerQueues[input.QueueUrl] : undefined;
      if (!peerUrl) return undefined; // a queue without a counterpart (a DLQ) has nowhere to go
      input.QueueUrl = peerUrl;
      return command;
    },
  });
}
