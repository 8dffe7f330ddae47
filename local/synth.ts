import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { App, AppProps } from 'aws-cdk-lib';
import { PROJECT_ROOT } from '../infra/project-root.ts';
import { stageConfig } from '../infra/stage.ts';
import type { StackTemplate } from './template.ts';

/** Context the CDK CLI would set: asset paths in metadata let the runtime find each bundle. */
const LOCAL_SYNTH_CONTEXT = {
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:enable-path-metadata': true,
} as const;

/**
 * Synthesizes in-process (no CLI round trip) and returns the stacks the runtime runs: one
 * region's. The app declares both regions of its stage; locally there is one AWS (one DynamoDB,
 * one fauxqs), so only the primary region's stacks run, and the gateway sees each route once.
 */
export function synthStacks(
  build: (props: AppProps) => App,
  outdir: string,
  context: Record<string, unknown> = {},
): StackTemplate[] {
  // Under `npm test`'s coverage, bundles are built unminified with source maps (infra/constructs/dgov-function.ts).
  const coverage = process.env.DGOV_COVERAGE_DIR ? { 'dgov:coverage': true } : {};
  providedModules(outdir);
  // CloudFormation's template validation (a WebAssembly engine, seconds of CPU per synth) checks what
  // CloudFormation will deploy; the local runtime deploys nothing, and `cdk synth` and the infra tests keep it.
  const app = build({
    outdir,
    context: { ...LOCAL_SYNTH_CONTEXT, ...coverage, ...context },
    builtinCloudFormationValidation: false,
  });
  const assembly = app.synth();
  const stacks = assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    region: stack.environment.region,
    template: stack.template,
    assemblyDir: assembly.directory,
  }));
  if (new Set(stacks.map((stack) => stack.region)).size <= 1) return stacks;
  const { primaryRegion } = stageConfig(app);
  const local = stacks.filter((stack) => stack.region === primaryRegion);
  if (local.length === 0)
    throw new Error(
      `the app has stacks in ${[...new Set(stacks.map((stack) => stack.region))].join(', ')} but none in its primary region ${primaryRegion}`,
    );
  return local;
}

/**
 * Bundles leave out what Lambda provides (`@aws-sdk/*` in the runtime, the Tracer in its layer) and
 * find it, like any import, in a node_modules above them. Under the project that is the project's;
 * a cloud assembly elsewhere (DGOV_LOCAL_DIR outside the project) gets a link to it.
 */
export function providedModules(outdir: string): void {
  if (!relative(PROJECT_ROOT, outdir).startsWith('..')) return;
  const link = join(outdir, 'node_modules');
  mkdirSync(outdir, { recursive: true });
  if (!existsSync(link)) symlinkSync(join(PROJECT_ROOT, 'node_modules'), link, 'dir');
}
