// Per function: its bundle's size and a fresh sandbox's first invocation, beside an empty bundle's
// (a trivial handler bundled by the same DgovFunction), measured in the same run.
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { allFunctions } from '../functions/capabilities.ts';
import { BUNDLE_BUDGET_KB, DgovFunction } from '../infra/constructs/dgov-function.ts';
import { type FunctionSpec, LambdaHost } from '../local/lambda-host.ts';
import type { LocalRuntime } from '../local/runtime.ts';
import type { InvocationKind } from '../shared/capability.ts';
import { type BenchRow, median, percentile } from './table.ts';

const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 5);

/** Synthesizes a one-function app whose handler is bench/empty/handler.ts; returns its bundle. */
function emptyBundle(outdir: string): string {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'BenchEmpty', { env: { account: '000000000000', region: 'cn-north-1' } });
  const fn = new DgovFunction(stack, 'Empty', {
    serviceName: 'bench-empty',
    kind: 'http',
    entry: 'bench/empty/handler.ts',
    description: 'the empty bundle cold starts are compared with',
    stage: 'bench',
    version: '0.0.0',
    logRetentionDays: 1,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Metadata?: Record<string, unknown> }>;
  };
  const resource = template.Resources[stack.getLogicalId(fn.fn.node.defaultChild as never)]!;
  return join(assembly.directory, String(resource.Metadata!['aws:asset:path']), 'index.mjs');
}

/** The cheapest event of each kind: an unrouted GET, an empty batch, a schedule tick. */
function firstEvent(kind: InvocationKind): unknown {
  if (kind === 'queue') return { Records: [] };
  if (kind === 'schedule')
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date().toISOString(),
      resources: [],
      detail: {},
    };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/bench-cold-start',
    rawQueryString: '',
    headers: {},
    requestContext: {
      http: { method: 'GET', path: '/bench-cold-start', sourceIp: '127.0.0.1' },
      requestId: randomUUID(),
    },
    isBase64Encoded: false,
  };
}

/** A new sandbox loads the bundle and answers its first invocation (an error answer counts too). */
async function coldStart(spec: FunctionSpec, event: unknown): Promise<number> {
  const host = new LambdaHost(spec, () => undefined, { size: 1 });
  const begun = performance.now();
  await host.invoke(event).catch(() => undefined);
  const elapsed = performance.now() - begun;
  await host.stop();
  return elapsed;
}

export async function functionsBench(runtime: LocalRuntime, dir: string): Promise<BenchRow[]> {
  const kinds = new Map(allFunctions.map((fn) => [fn.service, fn.kind]));
  const hosts = [...runtime.hosts.values()].sort((a, b) => a.spec.displayName.localeCompare(b.spec.displayName));
  const template = hosts[0]!.spec;
  const empty: FunctionSpec = {
    ...template,
    displayName: 'bench/Empty',
    bundlePath: emptyBundle(join(dir, 'empty.out')),
    handlerName: 'handler',
  };
  const rows: BenchRow[] = [];
  // Each function's samples alternate with the empty bundle's, so a busy moment hits both alike.
  for (const host of hosts) {
    const service = host.spec.environment.POWERTOOLS_SERVICE_NAME ?? host.spec.displayName;
    const kind = kinds.get(service) ?? 'http';
    const event = firstEvent(kind);
    const baseline: number[] = [];
    const samples: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      baseline.push(await coldStart(empty, event));
      samples.push(await coldStart(host.spec, event));
    }
    const kb = statSync(host.spec.bundlePath).size / 1024;
    rows.push({
      area: 'functions',
      measure: `${service} (${kind}): bundle size; cold start + first invocation of ${COLD_STARTS} fresh sandboxes`,
      value: kb,
      unit: 'KB',
      p50Ms: median(samples),
      p99Ms: percentile(samples, 99),
      ratio: median(samples) / median(baseline),
      against: `cold p50 ÷ the empty bundle's (${median(baseline).toFixed(0)} ms, same event, same run)`,
    });
  }
  const over = rows.filter((row) => row.value! > BUNDLE_BUDGET_KB).length;
  rows.push({
    area: 'functions',
    measure: `empty bundle (bench/empty/handler.ts through DgovFunction); ${over} of ${rows.length} functions over the ${BUNDLE_BUDGET_KB} KB budget`,
    value: statSync(empty.bundlePath).size / 1024,
    unit: 'KB',
  });
  return rows;
}
