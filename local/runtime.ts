import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpointEnvironment, localClients, type LocalClients } from './aws-clients.ts';
import { externalEndpoints, startEmbeddedAws, type AwsEndpoints, type EmbeddedAws } from './embedded-aws.ts';
import { fireSchedule, pollQueue, watchBucket, type Poller } from './event-sources.ts';
import { startFaultProxy } from './fault-injection.ts';
import { Gateway, type GatewayRoute } from './gateway.ts';
import { DEFAULT_POOL, LambdaHost, type FunctionSpec, type PoolOptions } from './lambda-host.ts';
import { provision, type ResourceMap } from './provision.ts';
import { pinnedAuditKeys } from './keys.ts';
import { restoreBuckets, saveBuckets } from './s3-snapshot.ts';
import type { PublicJwk } from '../shared/crypto/signer.ts';
import { constructPath, resourcesOfType, type Resolver, type StackTemplate } from './template.ts';

export interface RuntimeOptions {
  /** Synthesizes the CDK app and returns its stacks. */
  synth: () => StackTemplate[];
  /** Gateway port; 0 picks a free one. */
  port: number;
  /** Where data and the resolved environment live (.local/ for `npm start`). */
  dataDir: string;
  dynamodbPort: number;
  servicesPort: number;
  /** Start empty: forget tables and objects of earlier runs. */
  fresh?: boolean;
  /** A running LocalStack; when it answers, nothing is started. */
  awsEndpoint?: string;
  /** AWS emulators already running (the test suite's); nothing is started. */
  aws?: AwsEndpoints;
  /** Persist DynamoDB on disk (default) or keep it in memory (tests). */
  inMemory?: boolean;
  /** Scales schedule periods, for tests (1/60 turns minutes into seconds). */
  timeScale?: number;
  /**
   * Sandboxes per function when the template reserves no concurrency for it
   * (default: DGOV_SANDBOXES, else 10).
   */
  sandboxes?: number;
  /** Idle time after which a sandbox is retired (default: DGOV_SANDBOX_IDLE_SECONDS, else 60 s). */
  sandboxIdleMs?: number;
  /** Tests only: the functions reach SQS through a proxy tests can make fail (local/fault-injection.ts). */
  faultInjection?: boolean;
  /** Tests only: every queue batch is delivered to its function twice (local/event-sources.ts). */
  deliverTwice?: boolean;
  /**
   * Tests only: variables set over the template's for the functions of a service (by its
   * POWERTOOLS_SERVICE_NAME), e.g. a cheaper password hash for a test that registers and signs in often.
   */
  functionEnvironment?: Record<string, Record<string, string>>;
  log?: (line: string) => void;
  functionOutput?: (name: string, line: string) => void;
}

/** The resolved environment the CLI reads (`dgov env --json`). */
export interface ResolvedEnvironment {
  apiUrl: string;
  region: string;
  endpoints: AwsEndpoints;
  tables: Record<string, string>;
  buckets: Record<string, string>;
  queues: Record<string, string>;
  functions: Record<string, string>;
  routes: string[];
  /** The audit signing key the functions use (`file:…` locally), for `dgov audit seal`. */
  auditKey?: string;
  /** With DGOV_FAULT_INJECTION=1: where tests arm injected faults (local/fault-injection.ts). */
  faults?: string;
  /** Its public key, pinned here by `npm start`: the key `dgov audit verify` trusts the chain to start from. */
  auditTrustedKeys?: PublicJwk[];
}

export interface LocalRuntime {
  url: string;
  region: string;
  endpoints: AwsEndpoints;
  environment: ResolvedEnvironment;
  clients: LocalClients;
  embedded?: EmbeddedAws;
  hosts: Map<string, LambdaHost>;
  stop(): Promise<void>;
}

/**
 * `dgov-dev-stateful/Audit/Bucket/Resource` → `auditBucket`: the role a resource plays, from the
 * construct ids below its stack (a capability's data construct, then the resource).
 */
export const roleOf = (path: string): string => {
  const segments = path.split('/');
  const ids = segments.length > 1 ? segments.slice(1).filter((id) => id !== 'Resource') : segments;
  const joined = ids.map((id) => id.charAt(0).toUpperCase() + id.slice(1)).join('');
  return joined.charAt(0).toLowerCase() + joined.slice(1);
};

export async function startRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? (() => undefined);
  const functionOutput = options.functionOutput ?? ((name, line) => log(`[${name}] ${line}`));
  if (options.fresh) {
    for (const kept of ['dynamodb', 's3', 'env.json', 'demo-clients.json'])
      rmSync(join(options.dataDir, kept), { recursive: true, force: true });
  }
  mkdirSync(options.dataDir, { recursive: true });
  const stacks = options.synth();
  const region = stacks[0]?.region;
  if (!region) throw new Error('the CDK app has no stacks');

  const stopping: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stopping.reverse()) await stop().catch((error: Error) => log(`stopping: ${error.message}`));
    stopping.length = 0;
  };

  try {
    let endpoints = options.aws ?? (options.awsEndpoint ? await externalEndpoints(options.awsEndpoint) : undefined);
    let embedded: EmbeddedAws | undefined;
    if (endpoints) log(`using the AWS endpoints at ${endpoints.dynamodb} and ${endpoints.sqs}; nothing started`);
    else {
      if (options.awsEndpoint) log(`nothing answers at ${options.awsEndpoint}; starting the embedded AWS instead`);
      embedded = await startEmbeddedAws({
        dataDir: options.inMemory ? undefined : join(options.dataDir, 'dynamodb'),
        dynamodbPort: options.dynamodbPort,
        servicesPort: options.servicesPort,
        region,
        log,
      });
      endpoints = embedded.endpoints;
      stopping.push(() => embedded!.stop());
    }
    const clients = localClients(endpoints, region);

    const gateway = new Gateway({ port: options.port, log });
    const url = await gateway.start();
    stopping.push(() => gateway.stop());

    const { resources, resolver } = await provision(stacks, clients, { apiUrl: url, log });
    const buckets = resourcesOfType(stacks, 'AWS::S3::Bucket').map(
      ({ stack, logicalId }) => resources.get(stack.stackName, logicalId)!.ref,
    );
    const snapshotDir = join(options.dataDir, 's3');
    if (embedded && !options.inMemory) {
      const restored = await restoreBuckets(clients, buckets, snapshotDir);
      if (restored > 0) log(`restored ${restored} objects from ${snapshotDir}`);
      stopping.push(async () => {
        const saved = await saveBuckets(clients, buckets, snapshotDir);
        log(`saved ${saved} objects to ${snapshotDir}`);
      });
    }

    let functionEndpoints = endpoints;
    let faults: string | undefined;
    if (options.faultInjection) {
      const proxy = await startFaultProxy(endpoints.sqs, log);
      stopping.push(() => proxy.stop());
      functionEndpoints = { ...endpoints, sqs: proxy.url };
      faults = proxy.url;
      log(`fault injection on: the functions reach SQS through ${proxy.url}`);
    }
    const hosts = functionHosts(
      stacks,
      resources,
      resolver,
      functionEndpoints,
      functionOutput,
      sandboxPool(options),
      options.functionEnvironment ?? {},
    );
    stopping.push(async () => {
      await Promise.all([...hosts.values()].map((host) => host.stop()));
    });

    const routes = gatewayRoutes(stacks, resources, resolver, hosts);
    gateway.setRoutes(routes);

    const pollers: Poller[] = [];
    stopping.push(async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
    });
    for (const { stack, properties } of resourcesOfType(stacks, 'AWS::Lambda::EventSourceMapping')) {
      if (properties.Enabled === false) continue;
      const resolved = resolver.resolve(stack, properties) as Record<string, unknown>;
      const host = hostByNameOrArn(hosts, String(resolved.FunctionName));
      const queue = findQueue(stacks, resources, String(resolved.EventSourceArn));
      if (!host || !queue) continue;
      pollers.push(
        pollQueue(
          clients.sqs,
          {
            queueUrl: queue.url,
            queueArn: queue.arn,
            region,
            batchSize: Number(resolved.BatchSize ?? 10),
            reportBatchItemFailures: ((resolved.FunctionResponseTypes as string[] | undefined) ?? []).includes(
              'ReportBatchItemFailures',
            ),
            host,
            deliverTwice: options.deliverTwice,
          },
          log,
        ),
      );
    }
    for (const { stack, logicalId, properties } of resourcesOfType(stacks, 'AWS::Events::Rule')) {
      if (!properties.ScheduleExpression || properties.State === 'DISABLED') continue;
      const resolved = resolver.resolve(stack, properties) as {
        ScheduleExpression: string;
        Targets?: { Arn: string }[];
      };
      for (const target of resolved.Targets ?? []) {
        const host = hostByNameOrArn(hosts, target.Arn);
        if (!host) continue;
        const ruleArn = resources.get(stack.stackName, logicalId)!.attributes.Arn!;
        pollers.push(
          fireSchedule(
            { ruleArn, expression: resolved.ScheduleExpression, region, host, timeScale: options.timeScale ?? 1 },
            log,
          ),
        );
      }
    }
    for (const { stack, properties } of resourcesOfType(stacks, 'Custom::S3BucketNotifications')) {
      const resolved = resolver.resolve(stack, properties) as {
        BucketName: string;
        NotificationConfiguration?: {
          LambdaFunctionConfigurations?: {
            Events: string[];
            LambdaFunctionArn: string;
            Filter?: { Key?: { FilterRules?: { Name: string; Value: string }[] } };
          }[];
        };
      };
      for (const configuration of resolved.NotificationConfiguration?.LambdaFunctionConfigurations ?? []) {
        if (!configuration.Events.some((name) => name.startsWith('s3:ObjectCreated'))) continue;
        const host = hostByNameOrArn(hosts, configuration.LambdaFunctionArn);
        if (!host) continue;
        const rules = configuration.Filter?.Key?.FilterRules ?? [];
        const rule = (name: string) => rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
        pollers.push(
          watchBucket(
            clients.s3,
            { bucket: resolved.BucketName, region, prefix: rule('prefix'), suffix: rule('suffix'), host },
            log,
          ),
        );
      }
    }

    const environment = {
      ...describeEnvironment(stacks, resources, url, region, endpoints, hosts, routes),
      ...(faults ? { faults } : {}),
    };
    writeFileSync(join(options.dataDir, 'env.json'), `${JSON.stringify(environment, null, 2)}\n`);
    return { url, region, endpoints, environment, clients, embedded, hosts, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Lambda's reserved variables, the local endpoints, exactly the template's variables (and a test's overrides), and tracing off. */
function functionHosts(
  stacks: StackTemplate[],
  resources: ResourceMap,
  resolver: Resolver,
  endpoints: AwsEndpoints,
  output: (name: string, line: string) => void,
  pool: PoolOptions,
  overrides: Record<string, Record<string, string>>,
): Map<string, LambdaHost> {
  const hosts = new Map<string, LambdaHost>();
  for (const { stack, logicalId, resource, properties } of resourcesOfType(stacks, 'AWS::Lambda::Function')) {
    const physical = resources.get(stack.stackName, logicalId)!;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') continue; // inline or custom-resource code CDK runs only in CloudFormation
    const [moduleName, handlerName] = String(properties.Handler ?? 'index.handler').split('.') as [string, string];
    const bundleDir = join(stack.assemblyDir, assetPath);
    const bundlePath = ['.mjs', '.js', '.cjs']
      .map((ext) => join(bundleDir, `${moduleName}${ext}`))
      .find((file) => existsSync(file));
    if (!bundlePath) throw new Error(`no bundle for ${constructPath(resource, logicalId)} in ${bundleDir}`);
    const variables = resolver.resolve(
      stack,
      (properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
    ) as Record<string, unknown>;
    const memorySize = Number(properties.MemorySize ?? 128);
    const spec: FunctionSpec = {
      displayName: constructPath(resource, logicalId),
      functionName: physical.ref,
      functionArn: physical.attributes.Arn!,
      bundlePath,
      handlerName,
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memorySize,
      environment: {
        AWS_REGION: stack.region,
        AWS_DEFAULT_REGION: stack.region,
        AWS_LAMBDA_FUNCTION_NAME: physical.ref,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
        // What Lambda sets for on-demand sandboxes; Powertools reports cold_start only when it is set.
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${physical.ref}`,
        AWS_EXECUTION_ENV: `AWS_Lambda_${String(properties.Runtime ?? 'nodejs22.x')}`,
        TZ: 'UTC',
        ...endpointEnvironment(endpoints),
        ...Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(value)])),
        ...overrides[String(variables.POWERTOOLS_SERVICE_NAME)],
        // AWS_EXECUTION_ENV makes Powertools' Tracer think it runs in Lambda; there is no X-Ray here.
        POWERTOOLS_TRACE_ENABLED: 'false',
        // With tracing off nothing reads the X-Ray SDK's automatic context, yet by default it installs
        // async hooks that track every promise's destruction (cls-hooked): about 0.6-0.9 ms of CPU per
        // payment callback here (README, Benchmarks). Manual mode skips them; deployed functions trace as before.
        AWS_XRAY_MANUAL_MODE: 'true',
      },
    };
    // Lambda never runs more sandboxes of a function than its reserved concurrency.
    const reserved = properties.ReservedConcurrentExecutions;
    const size = reserved === undefined ? pool.size : Number(resolver.resolve(stack, reserved));
    hosts.set(physical.ref, new LambdaHost(spec, output, { ...pool, size }));
  }
  return hosts;
}

/** The default pool of every function: the options, else DGOV_SANDBOXES and DGOV_SANDBOX_IDLE_SECONDS. */
export function sandboxPool(
  options: Pick<RuntimeOptions, 'sandboxes' | 'sandboxIdleMs'>,
  env: NodeJS.ProcessEnv = process.env,
): PoolOptions {
  const fromEnv = (name: string, scale: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
    return value * scale;
  };
  const size = options.sandboxes ?? fromEnv('DGOV_SANDBOXES', 1) ?? DEFAULT_POOL.size;
  const idleMs = options.sandboxIdleMs ?? fromEnv('DGOV_SANDBOX_IDLE_SECONDS', 1000) ?? DEFAULT_POOL.idleMs;
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`sandboxes per function must be a positive integer, not ${size}`);
  return { size, idleMs };
}

function hostByNameOrArn(hosts: Map<string, LambdaHost>, nameOrArn: string): LambdaHost | undefined {
  return hosts.get(nameOrArn) ?? [...hosts.values()].find((host) => host.spec.functionArn === nameOrArn);
}

function findQueue(stacks: StackTemplate[], resources: ResourceMap, arn: string) {
  for (const { stack, logicalId } of resourcesOfType(stacks, 'AWS::SQS::Queue')) {
    const queue = resources.get(stack.stackName, logicalId);
    if (queue?.attributes.Arn === arn) return { url: queue.ref, arn };
  }
  return undefined;
}

function gatewayRoutes(
  stacks: StackTemplate[],
  resources: ResourceMap,
  resolver: Resolver,
  hosts: Map<string, LambdaHost>,
): GatewayRoute[] {
  const routes: GatewayRoute[] = [];
  for (const { stack, properties } of resourcesOfType(stacks, 'AWS::ApiGatewayV2::Route')) {
    const resolved = resolver.resolve(stack, properties) as {
      RouteKey: string;
      Target?: string;
      AuthorizationType?: string;
      AuthorizerId?: string;
      AuthorizationScopes?: string[];
    };
    const integrationId = resolved.Target?.replace(/^integrations\//, '');
    const integration = resourcesOfType(stacks, 'AWS::ApiGatewayV2::Integration').find(
      (candidate) =>
        candidate.stack === stack && resources.get(stack.stackName, candidate.logicalId)?.ref === integrationId,
    );
    if (!integration) continue;
    const uri = resolver.resolveString(stack, integration.properties.IntegrationUri);
    const host = hostByNameOrArn(hosts, uri.replace(/\/invocations$/, '').replace(/^.*\/functions\//, ''));
    if (!host) continue;
    let authorizer: GatewayRoute['authorizer'];
    if (resolved.AuthorizationType === 'JWT') {
      const found = resourcesOfType(stacks, 'AWS::ApiGatewayV2::Authorizer').find(
        (candidate) =>
          candidate.stack === stack &&
          resources.get(stack.stackName, candidate.logicalId)?.ref === resolved.AuthorizerId,
      );
      const jwt =
        found && (resolver.resolve(stack, found.properties.JwtConfiguration) as { Issuer: string; Audience: string[] });
      if (!jwt) throw new Error(`route ${resolved.RouteKey} names an authorizer the template does not declare`);
      authorizer = { issuer: jwt.Issuer, audience: jwt.Audience };
    }
    routes.push({ routeKey: resolved.RouteKey, host, authorizer, scopes: resolved.AuthorizationScopes ?? [] });
  }
  return routes;
}

function describeEnvironment(
  stacks: StackTemplate[],
  resources: ResourceMap,
  apiUrl: string,
  region: string,
  endpoints: AwsEndpoints,
  hosts: Map<string, LambdaHost>,
  routes: GatewayRoute[],
): ResolvedEnvironment {
  const named = (...types: string[]) =>
    Object.fromEntries(
      resourcesOfType(stacks, ...types).map(({ stack, logicalId, resource }) => [
        roleOf(constructPath(resource, logicalId)),
        resources.get(stack.stackName, logicalId)!.ref,
      ]),
    );
  return {
    apiUrl,
    region,
    endpoints,
    tables: named('AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'),
    buckets: named('AWS::S3::Bucket'),
    queues: named('AWS::SQS::Queue'),
    functions: Object.fromEntries(
      [...hosts.values()].map((host) => [
        host.spec.environment.POWERTOOLS_SERVICE_NAME ?? roleOf(host.spec.displayName),
        host.spec.functionName,
      ]),
    ),
    routes: routes.map((route) => route.routeKey),
    auditKey: [...hosts.values()].map((host) => host.spec.environment.DGOV_AUDIT_KEY).find(Boolean),
    auditTrustedKeys: pinnedAuditKeys([...hosts.values()].map((host) => host.spec.environment.DGOV_AUDIT_KEY)),
  };
}
