import { CfnResource } from 'aws-cdk-lib';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { scratchDir } from '../../local/scratch.ts';

/**
 * CloudFormation's template validation (CDK's built-in plugin, a WebAssembly engine) on the default
 * app, both regions, with its findings as errors. It costs about 6 s of CPU the first time in a
 * process, so it runs here once, not in each infra worker's shared synth (test/infra/synth.ts).
 */
function synthValidated(change?: (app: ReturnType<typeof buildApp>) => void): void {
  const outdir = scratchDir('infra-validation');
  try {
    const built = buildApp({
      outdir,
      // Without this flag CDK reports what the validation finds as warnings and the synth succeeds.
      context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true },
      builtinCloudFormationValidation: true,
    });
    change?.(built);
    built.app.synth();
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("CloudFormation's built-in validation", () => {
  it('passes every template of the default app', () => {
    expect(() => synthValidated()).not.toThrow();
  });

  it('is on: a property of the wrong type fails the synth', () => {
    const broken = (built: ReturnType<typeof buildApp>) =>
      new CfnResource(built.stateless, 'Broken', {
        type: 'AWS::SQS::Queue',
        properties: { VisibilityTimeout: { not: 'a number' } },
      });
    expect(() => synthValidated(broken)).toThrow(/ERROR VisibilityTimeout: .* is not of type 'integer'/);
  });
});
