import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { PROJECT_ROOT } from '../project-root.ts';
import { REQUIRE_SHIM, TRACER_MODULE, TracerLayer } from './tracer-layer.ts';
import type { InvocationKind } from '../../shared/capability.ts';
import { ENV } from '../../shared/env-names.ts';
import { grantPeerAccess } from '../replication.ts';

export interface DgovFunctionProps {
  /** The Powertools service name (functions/capabilities.ts). */
  serviceName: string;
  /** How it is invoked: decides its cdk-nag treatment and its alarms. */
  kind: InvocationKind;
  /** Publishes the `slaBreached` metric, which then gets an alarm. */
  publishesSlaBreaches?: boolean;
  /** Path from the project root, e.g. functions/health/handler.ts. */
  entry: string;
  /** Exported name of the handler; `handler` unless one module serves several functions. */
  handler?: string;
  description: string;
  stage: string;
  version: string;
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  /** Encrypts the function's log group (the region's operations key); unset leaves CloudWatch's own encryption. */
  logEncryptionKey?: IKey;
  /**
   * Packages a dependency imports but this function never calls (an SDK's HTTP client): bundled as
   * a stub that throws when used (infra/constructs/unused-module.cjs), to keep the bundle small.
   */
  unusedModules?: readonly string[];
}

/** Each function's bundle stays at most this big, minified, to keep cold starts short (test/infra/functions.test.ts). */
export const BUNDLE_BUDGET_KB = 400;

/**
 * The one place Lambda defaults live: arm64, nodejs22.x, minified ESM without source maps,
 * an explicit log group with retention, active tracing, a bounded timeout.
 * `use*` grant access to a resource and inject its name in one call, so a function can
 * never receive a table name it has no permission to read, or the reverse.
 */
export class DgovFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly serviceName: string;
  readonly kind: InvocationKind;
  readonly publishesSlaBreaches: boolean;
  /** Whether it knows the other region (DGOV_PEER_REGION): it writes a global table or sends to a queue there. */
  private failsOver = false;
  /** Global tables it only reads, granted in the other region once it fails over. */
  private readonly peerReadsOnHold: { envName: string; table: ITableV2 }[] = [];

  constructor(scope: Construct, id: string, props: DgovFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    this.kind = props.kind;
    this.publishesSlaBreaches = props.publishesSlaBreaches ?? false;
    const logGroup = new LogGroup(this, 'Logs', {
      retention: retention(props.logRetentionDays),
      encryptionKey: props.logEncryptionKey,
      removalPolicy: props.removalPolicy,
    });
    this.fn = new NodejsFunction(this, 'Fn', {
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      layers: [TracerLayer.of(scope)],
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      environment: {
        [ENV.stage]: props.stage,
        [ENV.version]: props.version,
        [ENV.serviceName]: props.serviceName,
        [ENV.metricsNamespace]: 'dgov',
        [ENV.logLevel]: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        // Context dgov:coverage (the local runtime under `npm test`): readable code, mapped back to .ts.
        minify: this.node.tryGetContext('dgov:coverage') !== true,
        sourceMap: this.node.tryGetContext('dgov:coverage') === true,
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        // The nodejs22.x runtime ships SDK v3, and the tracer comes in its layer: bundling them would
        // only add bytes to every function.
        externalModules: ['@aws-sdk/*', TRACER_MODULE],
        metafile: false,
        esbuildArgs: Object.fromEntries(
          (props.unusedModules ?? []).map((name) => [
            `--alias:${name}`,
            `${PROJECT_ROOT}infra/constructs/unused-module.cjs`,
          ]),
        ),
      },
    });
  }

  /** The DgovFunction a construct belongs to (its function, role or policy), if any. */
  static enclosing(construct: IConstruct): DgovFunction | undefined {
    return construct.node.scopes.findLast((scope): scope is DgovFunction => scope instanceof DgovFunction);
  }

  get timeout(): Duration {
    return this.fn.timeout ?? Duration.seconds(3);
  }

  useTable(envName: string, table: ITableV2, access: 'describe' | 'read' | 'readWrite'): this {
    if (access === 'describe') table.grant(this.fn, 'dynamodb:DescribeTable');
    else if (access === 'read') table.grantReadData(this.fn);
    else table.grantReadWriteData(this.fn);
    this.fn.addEnvironment(envName, table.tableName);
    // Reading alone keeps a function in its region (the fallback's and /health's CORS origins): a read
    // reaches the other region's replica only in a function that fails over for its writes anyway,
    // whichever of the two was declared first.
    if (access === 'read' && !this.failsOver) this.peerReadsOnHold.push({ envName, table });
    else this.peered(grantPeerAccess(this, this.fn, envName, table, access));
    return this;
  }

  useQueue(envName: string, queue: IQueue, access: 'describe' | 'send' | 'consume'): this {
    if (access === 'describe') queue.grant(this.fn, 'sqs:GetQueueAttributes');
    else if (access === 'send') queue.grantSendMessages(this.fn);
    else queue.grantConsumeMessages(this.fn);
    this.fn.addEnvironment(envName, queue.queueUrl);
    this.peered(grantPeerAccess(this, this.fn, envName, queue, access));
    return this;
  }

  /** Once it fails over, the tables it only reads are granted in the other region too. */
  private peered(toldPeer: boolean): void {
    if (!toldPeer || this.failsOver) return;
    this.failsOver = true;
    for (const { envName, table } of this.peerReadsOnHold.splice(0))
      grantPeerAccess(this, this.fn, envName, table, 'read');
  }

  useBucket(envName: string, bucket: IBucket, access: 'describe' | 'read' | 'readWrite'): this {
    if (access === 'describe')
      this.fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    else if (access === 'read') bucket.grantRead(this.fn);
    else bucket.grantReadWrite(this.fn);
    this.fn.addEnvironment(envName, bucket.bucketName);
    return this;
  }

  /** An asymmetric signing key (kms:Sign, kms:GetPublicKey), or a key file reference passed as is. */
  useSigningKey(envName: string, signingKey: { keyId: string; key?: IKey }): this {
    signingKey.key?.grant(this.fn, 'kms:Sign', 'kms:GetPublicKey');
    this.fn.addEnvironment(envName, signingKey.keyId);
    return this;
  }

  /** A plain value the function reads from its config. */
  setEnv(envName: string, value: string): this {
    this.fn.addEnvironment(envName, value);
    return this;
  }
}

function retention(days: number): RetentionDays {
  const known = Object.values(RetentionDays).filter((value): value is RetentionDays => typeof value === 'number');
  const match = known.filter((value) => value >= days).sort((a, b) => a - b)[0];
  if (match === undefined) throw new Error(`no CloudWatch log retention of ${days} days or more`);
  return match;
}
