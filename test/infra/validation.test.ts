import { App, type AppProps, CfnResource, Stack } from 'aws-cdk-lib';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { scratchDir } from '../../local/scratch.ts';

/**
 * CloudFormation's template validation (CDK's built-in plugin, a WebAssembly engine) on the default
 * app, both regions, with its findings as errors. It costs about 6 s of CPU the first time in a
 * process, so it runs here once, not in each infra worker's shared synth (test/infra/synth.ts).
 */
function synthValidated(build: (props: AppProps) => App): void {
  const outdir = scratchDir('infra-validation');
  try {
    build({
      outdir,
      // Without this flag CDK reports what the validation finds as warnings and the synth succeeds.
      context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true },
      builtinCloudFormationValidation: true,
    }).synth();
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("CloudFormation's built-in validation", () => {
  it('passes every template of the default app', () => {
    expect(() => synthValidated((props) => buildApp(props).app)).not.toThrow();
  });

  // A one-resource app with the same settings: the check is on, and fails the synth.
  it('is on: a property of the wrong type fails the synth', () => {
    const broken = (props: AppProps) => {
      const app = new App(props);
      new CfnResource(new Stack(app, 'Broken'), 'Queue', {
        type: 'AWS::SQS::Queue',
        properties: { VisibilityTimeout: { not: 'a number' } },
      });
      return app;
    };
    expect(() => synthValidated(broken)).toThrow(/ERROR VisibilityTimeout: .* is not of type 'integer'/);
  });
});
