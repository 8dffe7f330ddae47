import type { App, AppProps } from 'aws-cdk-lib';
import type { StackTemplate } from './template.ts';

/** Context the CDK CLI would set: asset paths in metadata let the runtime find each bundle. */
export const LOCAL_SYNTH_CONTEXT = { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } as const;

/** Synthesizes in-process (no CLI round trip) and returns the stacks as the runtime reads them. */
export function synthStacks(build: (props: AppProps) => App, outdir: string, context: Record<string, unknown> = {}): StackTemplate[] {
  const app = build({ outdir, context: { ...LOCAL_SYNTH_CONTEXT, ...context } });
  const assembly = app.synth();
  return assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    region: stack.environment.region,
    template: stack.template,
    assemblyDir: assembly.directory,
  }));
}
