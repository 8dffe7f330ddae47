import { App, CfnResource, Stack, type AppProps } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { providedModules, synthStacks } from '../../local/synth.ts';
import { scratchDir } from '../../local/scratch.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const outdir = () => {
  const dir = scratchDir('local-synth');
  dirs.push(dir);
  return dir;
};

/** An app shaped like the product's: the same stack in each region of the stage's pair. */
const twoRegions = (regions: string[]) => (props: AppProps) => {
  const app = new App(props);
  for (const region of regions) {
    const stack = new Stack(app, `app-${region}`, { env: { region } });
    new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue' });
  }
  return app;
};

// Synthesizing loads aws-cdk-lib (seconds on a loaded 2-core machine): beyond the unit default of 5 s.
describe('synthStacks: what npm start runs', { timeout: 60_000 }, () => {
  it("keeps only the primary region's stacks of a two-region app, so each route and table exists once locally", () => {
    const stacks = synthStacks(twoRegions(['cn-northwest-1', 'cn-north-1']), outdir());
    expect(stacks.map((stack) => [stack.stackName, stack.region])).toEqual([['app-cn-north-1', 'cn-north-1']]);
  });

  it('follows the primaryRegion of the context', () => {
    const stacks = synthStacks(twoRegions(['eu-west-1', 'eu-central-1']), outdir(), {
      primaryRegion: 'eu-central-1',
      replicaRegion: 'eu-west-1',
    });
    expect(stacks.map((stack) => stack.region)).toEqual(['eu-central-1']);
  });

  it('refuses a multi-region app with nothing in its primary region rather than running the wrong one', () => {
    expect(() => synthStacks(twoRegions(['eu-west-1', 'eu-central-1']), outdir())).toThrow(
      /none in its primary region cn-north-1/,
    );
  });

  it('keeps every stack of a one-region app', () => {
    expect(synthStacks(twoRegions(['ap-east-1']), outdir()).map((stack) => stack.region)).toEqual(['ap-east-1']);
  });
});

describe('providedModules: what the bundles leave out, wherever the assembly is', () => {
  const canImport = (dir: string) => {
    const file = join(dir, 'probe.mjs');
    writeFileSync(file, "export const kind = typeof (await import('@aws-sdk/client-sqs')).SQSClient;\n");
    const script = 'console.log((await import(process.argv[1])).kind)';
    try {
      return execFileSync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(file).href], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return 'not found';
    }
  };

  it('links the project node_modules into an assembly outside the project, so the SDK and the Tracer resolve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgov-assembly-'));
    dirs.push(dir);
    expect(canImport(dir)).toBe('not found');
    providedModules(dir);
    expect(canImport(dir)).toBe('function');
    providedModules(dir); // a restart on the same directory keeps the link
    expect(canImport(dir)).toBe('function');
  });

  it('adds nothing under the project, where node_modules is found already', () => {
    const dir = outdir();
    providedModules(dir);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(canImport(dir)).toBe('function');
  });
});
