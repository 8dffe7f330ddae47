import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { configSchemas } from '../../functions/config-schemas.ts';
import { BUNDLE_BUDGET_KB } from '../../infra/constructs/dgov-function.ts';
import { TRACER_MODULE } from '../../infra/constructs/tracer-layer.ts';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { runtimeEnvSchema } from '../../shared/config.ts';
import { ENV } from '../../shared/env-names.ts';
import { deployedEnv, ourFunctions, resourcesOfType, synthesize, type OurFunction, type Synthesized } from './synth.ts';

const BUNDLE_BUDGET_BYTES = BUNDLE_BUDGET_KB * 1024;

let synth: Synthesized;
let functions: OurFunction[];

beforeAll(() => {
  synth = synthesize({}, undefined, { bundle: true });
  functions = ourFunctions(synth.stateless$);
});

afterAll(() => synth?.dispose());

const bundleDir = (fn: OurFunction) => join(synth.assembly.directory, fn.assetPath);
const bundleFile = (fn: OurFunction) => join(bundleDir(fn), 'index.mjs');

/**
 * Imports bundles one after the other in a fresh Node process (their module-load side effects stay
 * there) and reports `typeof` the export of each. A process per function, not per file: the second
 * import of a copy of the same bundle reuses the SDK the first loaded, where a process costs ~0.3 s.
 */
function typeofExports(files: string[], name: string, env: Record<string, string>): string[] {
  const script =
    'for (const file of process.argv.slice(1, -1)) { const mod = await import(file); console.log(`typeof=${typeof mod[process.argv.at(-1)]}`); }';
  const stdout = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', script, ...files.map((file) => pathToFileURL(file).href), name],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 },
  );
  return [...stdout.matchAll(/^typeof=(\w+)$/gm)].map((match) => match[1]!);
}
const typeofExport = (file: string, name: string, env: Record<string, string>): string =>
  typeofExports([file], name, env)[0] ?? '';

async function loadConfigSchema(service: string): Promise<z.ZodMiniObject | undefined> {
  return configSchemas[service];
}

/** Keys whose schema rejects `undefined`: the ones a function cannot start without. */
const requiredKeys = (schema: z.ZodMiniObject): string[] =>
  Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodMiniType).safeParse(undefined).success)
    .map(([key]) => key);

describe('Lambda defaults from DgovFunction', () => {
  it('finds one bundled function per DgovFunction the stateless stack declares', () => {
    expect(functions.map((fn) => fn.service).sort()).toEqual(Object.keys(synth.stateless.functions).sort());
    for (const [service, construct] of Object.entries(synth.stateless.functions)) {
      const fn = functions.find((candidate) => candidate.service === service);
      expect(fn?.logicalId, service).toBe(synth.stateless.getLogicalId(construct.fn.node.defaultChild as never));
    }
  });

  it('runs every function on nodejs22.x, arm64, with active tracing and a bounded timeout', () => {
    for (const fn of functions) {
      expect(fn.props.Runtime, fn.service).toBe('nodejs22.x');
      expect(fn.props.Architectures, fn.service).toEqual(['arm64']);
      expect(fn.props.TracingConfig, fn.service).toEqual({ Mode: 'Active' });
      expect(fn.timeout, fn.service).toBeGreaterThanOrEqual(1);
      expect(fn.timeout, fn.service).toBeLessThanOrEqual(30);
    }
  });

  it('logs every function to its own log group with the stage retention', () => {
    const groups = new Map(resourcesOfType(synth.stateless$, 'AWS::Logs::LogGroup'));
    const used = new Set<string>();
    for (const fn of functions) {
      const ref = (fn.props.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
      expect(ref, `${fn.service} LoggingConfig.LogGroup`).toBeTypeOf('string');
      const group = groups.get(ref!);
      expect(group?.Type, fn.service).toBe('AWS::Logs::LogGroup');
      expect(group?.Properties?.RetentionInDays, fn.service).toBeGreaterThanOrEqual(synth.config.logRetentionDays);
      expect(used.has(ref!), `${fn.service} shares a log group`).toBe(false);
      used.add(ref!);
    }
  });

  it('sets the shared Powertools and version variables on every function', () => {
    for (const fn of functions) {
      expect(fn.variables[ENV.stage], fn.service).toBe('dev');
      expect(fn.variables[ENV.version], fn.service).toMatch(/^\d+\.\d+\.\d+/);
      expect(fn.variables[ENV.metricsNamespace], fn.service).toBe('dgov');
      expect(fn.variables[ENV.logLevel], fn.service).toBe('INFO');
    }
  });
});

describe('handlers exported by their bundles', () => {
  it('names a handler of the form index.<export> on every function', () => {
    for (const fn of functions) expect(fn.handler, fn.service).toMatch(/^index\.[A-Za-z_$][\w$]*$/);
  });

  it('ships one minified ESM bundle per function, without source maps', () => {
    for (const fn of functions) {
      const file = bundleFile(fn);
      expect(existsSync(file), `${fn.service}: ${file}`).toBe(true);
      // Minified: esbuild's output is a few very long lines; readable code averages under 40 characters a line.
      const text = readFileSync(file, 'utf8');
      expect(text.length / text.split('\n').length, `${fn.service} characters per line`).toBeGreaterThan(400);
      expect(
        readdirSync(bundleDir(fn)).filter((name) => name.endsWith('.map')),
        fn.service,
      ).toEqual([]);
    }
  });

  it(`keeps every function's minified bundle within the ${BUNDLE_BUDGET_KB} KB budget (README, Benchmarks)`, () => {
    const sizes = Object.fromEntries(functions.map((fn) => [fn.service, statSync(bundleFile(fn)).size]));
    const over = Object.entries(sizes).filter(([, bytes]) => bytes > BUNDLE_BUDGET_BYTES);
    expect(over, `bundles over ${BUNDLE_BUDGET_KB} KB (bytes)`).toEqual([]);
    expect(Object.keys(sizes).length).toBeGreaterThan(0);
  });

  // With the template environment, from the cloud assembly and, first, from where Lambda would put it.
  it("exports the named handler as a function; takes the tracer from the stack's one layer: a bundle loads where Lambda would put it, beside the layer and the SDK only", () => {
    const layers = resourcesOfType(synth.stateless$, 'AWS::Lambda::LayerVersion');
    expect(layers).toHaveLength(1);
    const [layerId, layer] = layers[0]!;
    for (const fn of functions) expect(fn.props.Layers, fn.service).toEqual([{ Ref: layerId }]);
    // A directory outside the project: only the layer's node_modules and the runtime's SDK resolve there.
    const sandbox = mkdtempSync(join(tmpdir(), 'dgov-layer-'));
    try {
      cpSync(
        join(synth.assembly.directory, String(layer.Metadata!['aws:asset:path']), 'nodejs', 'node_modules'),
        join(sandbox, 'node_modules'),
        {
          recursive: true,
        },
      );
      symlinkSync(join(PROJECT_ROOT, 'node_modules', '@aws-sdk'), join(sandbox, 'node_modules', '@aws-sdk'));
      for (const fn of functions) {
        const file = join(sandbox, `${fn.service}.mjs`);
        cpSync(bundleFile(fn), file);
        expect(
          typeofExports([file, bundleFile(fn)], fn.exportName, deployedEnv(fn.variables)),
          `${fn.service}: typeof ${fn.handler} beside the layer, then in the assembly`,
        ).toEqual(['function', 'function']);
      }
      rmSync(join(sandbox, 'node_modules', TRACER_MODULE), { recursive: true });
      expect(() =>
        typeofExport(join(sandbox, `${functions[0]!.service}.mjs`), 'handler', deployedEnv(functions[0]!.variables)),
      ).toThrow(/Cannot find package '@aws-lambda-powertools\/tracer'/);
    } finally {
      rmSync(sandbox, { recursive: true, force: true });
    }
  });

  it('reports a name the bundle does not export as undefined (the probe above can fail)', () => {
    const fn = functions[0]!;
    expect(typeofExport(bundleFile(fn), 'notExportedByAnyBundle', deployedEnv(fn.variables))).toBe('undefined');
  });
});

describe('environment variables satisfy each function config schema', () => {
  it('parses the template environment of every function that has a config schema', async () => {
    let checked = 0;
    for (const fn of functions) {
      const schema = await loadConfigSchema(fn.service);
      expect(schema, `${fn.service} has no entry in functions/config-schemas.ts`).toBeDefined();
      if (!schema) continue;
      checked++;
      const env = deployedEnv(fn.variables);
      const parsed = schema.safeParse(env);
      expect(
        parsed.success,
        `${fn.service}: ${parsed.error?.issues.map((issue) => issue.path.join('.')).join(', ')}`,
      ).toBe(true);
      expect(runtimeEnvSchema.safeParse(env).success, fn.service).toBe(true);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('gets every required variable from the template itself, not from the runtime', async () => {
    for (const fn of functions) {
      const schema = await loadConfigSchema(fn.service);
      if (!schema) continue;
      for (const key of requiredKeys(schema))
        expect(Object.keys(fn.variables), `${fn.service} needs ${key}`).toContain(key);
    }
  });

  it('fails when any one required variable is missing (a forgotten use* call is caught)', async () => {
    let removed = 0;
    for (const fn of functions) {
      const schema = await loadConfigSchema(fn.service);
      if (!schema) continue;
      for (const key of requiredKeys(schema)) {
        const { [key]: _dropped, ...rest } = deployedEnv(fn.variables);
        const parsed = schema.safeParse(rest);
        expect(parsed.success, `${fn.service} without ${key}`).toBe(false);
        expect(
          parsed.error?.issues.map((issue) => issue.path.join('.')),
          `${fn.service} without ${key}`,
        ).toContain(key);
        removed++;
      }
    }
    expect(removed).toBeGreaterThan(0);
  });
});
