import { App, type AppProps } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { BaseStack } from './base-stack.ts';
import { PROJECT_ROOT } from './project-root.ts';
import type { CapabilityInfra } from './capabilities/capability.ts';
import { capabilityInfra } from './capabilities/index.ts';
import { applyNag, recordCapabilities } from './nag.ts';
import { assertOnePartition, regionRole, stackName, type RegionRole } from './regions.ts';
import { stageConfig, type StageConfig } from './stage.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

const version = (JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')) as { version: string }).version;

/** One region's three stacks. */
export interface RegionStacks {
  region: string;
  role: RegionRole;
  base: BaseStack;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

export interface DgovApp {
  app: App;
  config: StageConfig;
  /** The primary region's stacks (what `npm start` runs). */
  base: BaseStack;
  stateful: StatefulStack;
  stateless: StatelessStack;
  /** Both regions, primary first. */
  regions: RegionStacks[];
}

/** Feature flags the app relies on, whatever cdk.json says. */
const FEATURE_FLAGS = {
  // Access-log delivery by bucket policy (not ACLs), so the log bucket can enforce bucket-owner ownership.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // Same-region references between layers are CloudFormation exports, protected while imported.
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
} as const;

/**
 * Builds the whole app, both regions; `npm start`, the tests and `cdk synth` all go through here.
 *
 * Stacks, per region R of the pair (README, Deploying to AWS):
 *   dgov-<stage>-base-<R>       keys, access logs, DR copies of the other region's buckets
 *   dgov-<stage>-stateful-<R>   global tables (declared in the primary), buckets, queues
 *   dgov-<stage>-stateless-<R>  functions, HTTP API, alarms, DNS
 * Deploy order (declared as dependencies, so `cdk deploy --all` follows it): base primary, base
 * replica, stateful primary, stateful replica, then both stateless stacks.
 */
export function buildApp(props: AppProps = {}, capabilities: readonly CapabilityInfra[] = capabilityInfra()): DgovApp {
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...props.context } });
  recordCapabilities(app, capabilities);
  const config = stageConfig(app);
  assertOnePartition(config);
  const roles = [config.primaryRegion, config.replicaRegion].map((region) => regionRole(config, region));
  const env = (role: RegionRole) => ({ account: config.account, region: role.home });
  const name = (layer: 'base' | 'stateful' | 'stateless', role: RegionRole) =>
    stackName(config.stage, layer, role.home);

  const bases = roles.map(
    (role) =>
      new BaseStack(app, name('base', role), {
        env: env(role),
        config,
        role,
        capabilities,
        description: `dgov keys, access logs and DR copies (${role.home})`,
      }),
  );
  const statefuls = roles.map((role, i) => {
    const stack = new StatefulStack(app, name('stateful', role), {
      env: env(role),
      config,
      base: bases[i]!,
      capabilities,
      description: `dgov data: tables, buckets, queues (${role.home})`,
    });
    // Its buckets replicate into the other region's DR copies, which must exist first.
    for (const base of bases) stack.addStackDependency(base);
    return stack;
  });
  const statelesses = roles.map((role, i) => {
    const stack = new StatelessStack(app, name('stateless', role), {
      env: env(role),
      config,
      version,
      capabilities,
      data: statefuls[i]!,
      base: bases[i]!,
      description: `dgov code: functions, HTTP API, alarms (${role.home})`,
    });
    // Its functions fail over to the other region's tables and queues.
    for (const stateful of statefuls) stack.addStackDependency(stateful);
    return stack;
  });
  // A replica key needs its primary; a global table's replica is created by the primary region's stack.
  bases[1]!.addStackDependency(bases[0]!);
  statefuls[1]!.addStackDependency(statefuls[0]!);

  if (['true', true].includes(app.node.tryGetContext('nag'))) applyNag(app);
  const regions = roles.map((role, i) => ({
    region: role.home,
    role,
    base: bases[i]!,
    stateful: statefuls[i]!,
    stateless: statelesses[i]!,
  }));
  return { app, config, base: bases[0]!, stateful: statefuls[0]!, stateless: statelesses[0]!, regions };
}

// Run as the CDK app (cdk.json) rather than imported by a test or the local runtime.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  buildApp().app.synth();
}
