import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import type { LocalClients } from '../../local/aws-clients.ts';
import type { ResolvedEnvironment } from '../../local/runtime.ts';
import type { CapabilityManifest, FunctionManifest, InvocationKind } from '../../shared/capability.ts';
import type { DgovFunction, DgovFunctionProps } from '../constructs/dgov-function.ts';
import type { DgovHttpApi } from '../http-api.ts';
import type { RegionContext, ReplicatedBucketSpec } from '../replication.ts';
import type { StageConfig } from '../stage.ts';

/** Where a capability's data constructs are made: a stateful stack of one region. */
export interface DataContext extends RegionContext {
  removalPolicy: RemovalPolicy;
}

/** Every capability's data construct in this region, found by its class. */
export class DataRegistry {
  private readonly byType = new Map<abstract new (...args: never[]) => Construct, Construct>();

  add(data: Construct): void {
    this.byType.set(data.constructor as abstract new (...args: never[]) => Construct, data);
  }

  get<T extends Construct>(type: abstract new (...args: never[]) => T): T {
    const data = this.byType.get(type);
    if (!data)
      throw new Error(`no ${type.name} in this stateful stack: is its capability in infra/capabilities/index.ts?`);
    return data as T;
  }

  all(): Construct[] {
    return [...this.byType.values()];
  }
}

/** Where a capability's code constructs are made: a stateless stack of one region. */
export interface CodeContext {
  config: StageConfig;
  http: DgovHttpApi;
  data: DataRegistry;
  /**
   * Makes the manifest's function with the suite's Lambda defaults in `scope`, and gives an
   * HTTP function its routes (or the `$default` route). Grants, event sources and schedules
   * are the caller's.
   */
  addFunction(scope: Construct, manifest: FunctionManifest, props?: Partial<DgovFunctionProps>): DgovFunction;
}

/**
 * A cdk-nag finding this app accepts, with its reason (infra/nag.ts). `path` matches the
 * construct path below the stack; `kinds` limits it to constructs of functions of those kinds.
 */
export interface Suppression {
  /** The rule, e.g. `AwsSolutions-IAM5` or `NIST.800.53.R5-LambdaDLQ`. */
  rule: string;
  /** For rules with per-finding ids: the bracketed part, e.g. /^Action::s3:GetObject\*$/. */
  finding?: RegExp;
  /** The construct paths (without the stack name) it applies to. */
  path: RegExp;
  /** Only constructs of a DgovFunction of one of these kinds. */
  kinds?: readonly InvocationKind[];
  /** Only constructs this says yes to. */
  where?: (construct: IConstruct) => boolean;
  reason: string;
}

/** A capability's cloud resources, beside its manifest (functions/<name>/manifest.ts). */
export interface CapabilityInfra {
  manifest: CapabilityManifest;
  /** Buckets the data construct replicates to the other region, by role: the base stack makes their DR copies. */
  replicatedBuckets?: Readonly<Record<string, ReplicatedBucketSpec>>;
  /** Tables, buckets, keys and queues, created in the stateful stack of each region. */
  data?(scope: Construct, context: DataContext): Construct;
  /** Functions, grants, routes, event sources and schedules, created in the stateless stack of each region. */
  code(scope: Construct, context: CodeContext): IConstruct;
  /** cdk-nag findings particular to this capability's resources. */
  suppressions?: readonly Suppression[];
  /** Demo data `npm start` puts in place (loaded only by the local runtime, never by the CDK app). */
  localSeed?: () => Promise<LocalSeed>;
}

/** Seeds the running local suite; returns a line for `npm start` to print. */
export type LocalSeed = (
  environment: ResolvedEnvironment,
  clients: LocalClients,
  dataDir: string,
) => Promise<string | undefined>;

/** `audit-writer` → `AuditWriter`: construct ids from names. */
export const pascalCase = (name: string): string =>
  name.replace(/(^|[-_\s]+)([a-z0-9])/gi, (_match, _separator, letter: string) => letter.toUpperCase());

/** Every bucket that replicates to the other region, by role: the base stack makes a DR copy of each. */
export const replicatedBuckets = (capabilities: readonly CapabilityInfra[]): Record<string, ReplicatedBucketSpec> =>
  Object.fromEntries(capabilities.flatMap((capability) => Object.entries(capability.replicatedBuckets ?? {})));
