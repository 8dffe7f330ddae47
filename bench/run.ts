// `npm run bench`: figures measured side by side in one run, on this machine.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../infra/app.ts';
import { LambdaHost } from '../local/lambda-host.ts';
import { startRuntime } from '../local/runtime.ts';
import { localAppContext } from '../local/keys.ts';
import { synthStacks } from '../local/synth.ts';
import { freePort } from '../local/ports.ts';
import { scratchDir } from '../local/scratch.ts';
import { auditBench } from './audit.ts';
import { hotlineBench } from './hotline.ts';
import { identityBench } from './identity.ts';
import { licencesBench } from './licences.ts';
import { paymentsBench } from './payments.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

const percentile = (samples: number[], p: number) =>
  [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
const median = (samples: number[]) => percentile(samples, 50);
async function time(rounds: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await run(); // warm
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

/**
 * Resident memory of this process and every process below it (DynamoDB Local's JVM, esbuild), from
 * /proc: what `npm start` holds on the machine. Undefined where there is no /proc.
 */
function treeRss(root = process.pid): number | undefined {
  const field = (pid: string, name: string) =>
    new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  try {
    const parents = new Map<string, string[]>();
    for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      try {
        const parent = field(pid, 'PPid')!;
        parents.set(parent, [...(parents.get(parent) ?? []), pid]);
      } catch {
        // gone meanwhile
      }
    }
    let kb = 0;
    const walk = (pid: string) => {
      try {
        kb += Number(field(pid, 'VmRSS') ?? 0);
      } catch {
        // gone meanwhile
      }
      for (const child of parents.get(pid) ?? []) walk(child);
    };
    walk(String(root));
    return kb * 1024;
  } catch {
    return undefined;
  }
}

const dir = scratchDir('bench');
const started = performance.now();
const runtime = await startRuntime({
  synth: () => synthStacks((props) => buildApp(props).app, join(dir, 'cdk.out'), localAppContext(dir)),
  port: 0,
  dataDir: dir,
  dynamodbPort: await freePort(),
  servicesPort: await freePort(),
  inMemory: true,
});
const readyMs = performance.now() - started;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
// At rest: everything started, no sandbox yet (they start on the first invocation).
const restingRss = process.memoryUsage().rss;
const restingTreeRss = treeRss();

try {
  const env = runtime.environment;
  const { dynamodb, sqs, s3 } = runtime.clients;
  const bare = () =>
    Promise.all([
      dynamodb.send(new DescribeTableCommand({ TableName: env.tables.controlTable })),
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: env.queues.auditQueue, AttributeNames: ['QueueArn'] })),
      s3.send(new HeadBucketCommand({ Bucket: env.buckets.auditBucket })),
    ]);
  const viaGateway = async () => {
    const response = await fetch(`${runtime.url}/health`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
  };
  // One sandbox of each HTTP function, idle again: the runtime at rest once every capability has served.
  const coldBefore = new Map([...runtime.hosts].map(([name, host]) => [name, host.coldStarts]));
  for (const path of ['/health', '/openapi.json', '/.well-known/openid-configuration', '/oauth2/userinfo', '/nowhere'])
    await (await fetch(`${runtime.url}${path}`)).arrayBuffer();
  const warmedHosts = [...runtime.hosts.values()].filter((host) => host.sandboxes > 0).length;
  const firstColdStarts = [...runtime.hosts].filter(([name, host]) => host.coldStarts > coldBefore.get(name)!).length;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const warmTreeRss = treeRss();

  const bareSamples = await time(ROUNDS, bare);
  const healthSamples = await time(ROUNDS, viaGateway);

  // A burst of concurrent requests scales /health out over its pool of sandboxes.
  const healthHost = [...runtime.hosts.values()].find((host) => host.spec.displayName.endsWith('/Health'))!;
  const BURST = 2 * healthHost.pool.size;
  const coldBeforeBurst = healthHost.coldStarts;
  const burstStarted = performance.now();
  await Promise.all(Array.from({ length: BURST }, viaGateway));
  const burstMs = performance.now() - burstStarted;
  const burstColdStarts = healthHost.coldStarts - coldBeforeBurst;
  const burstSandboxes = [...runtime.hosts.values()].reduce((sum, host) => sum + host.sandboxes, 0);
  const burstRss = process.memoryUsage().rss;
  const burstTreeRss = treeRss();

  // Cold start: a new sandbox loading the health bundle, then its first request.
  const coldSamples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const host = new LambdaHost(healthHost.spec, () => undefined);
    const begun = performance.now();
    await host.invoke({
      version: '2.0',
      routeKey: 'GET /health',
      rawPath: '/health',
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/health', sourceIp: '127.0.0.1' }, requestId: `cold-${i}` },
      isBase64Encoded: false,
    });
    coldSamples.push(performance.now() - begun);
    await host.stop();
  }

  const bundles = [...runtime.hosts.values()].map((host) => ({
    name: host.spec.displayName.split('/').pop()!,
    kb: statSync(host.spec.bundlePath).size / 1024,
  }));

  const rows: [string, string][] = [
    ['`npm start` to ready (synth, emulators, provisioning; in-memory DynamoDB)', `${(readyMs / 1000).toFixed(1)} s`],
    [
      `GET /health through the gateway, median of ${ROUNDS}`,
      `${median(healthSamples).toFixed(2)} ms (p95 ${percentile(healthSamples, 95).toFixed(2)} ms)`,
    ],
    [
      `the 3 emulator round trips it makes, in parallel, bare SDK, median of ${ROUNDS}`,
      `${median(bareSamples).toFixed(2)} ms (p95 ${percentile(bareSamples, 95).toFixed(2)} ms)`,
    ],
    [
      'ratio /health ÷ bare round trips (overhead of gateway + sandbox + middleware)',
      `${(median(healthSamples) / median(bareSamples)).toFixed(2)}×`,
    ],
    ['cold start of the health sandbox + first request, median of 5', `${median(coldSamples).toFixed(0)} ms`],
    ...bundles.map((bundle): [string, string] => [
      `bundle ${bundle.name} (minified ESM, SDK external; budget 400 KB)`,
      `${bundle.kb.toFixed(1)} KB`,
    ]),
    ...(await identityBench(runtime)),
    ...(await auditBench()),
    ...(await licencesBench(runtime)),
    ...(await hotlineBench(runtime)),
    ...(await paymentsBench(runtime, dir)),
  ];
  const coldStarts = [...runtime.hosts.values()]
    .filter((host) => host.coldStarts > 0)
    .map((host) => `${host.spec.displayName.split('/').pop()} ${host.coldStarts} (peak ${host.peakSandboxes})`);
  rows.push(
    [
      `a burst of ${BURST} concurrent GET /health (pool of ${healthHost.pool.size} sandboxes), all answered`,
      `${burstMs.toFixed(0)} ms, ${burstColdStarts} cold starts`,
    ],
    ['cold starts per function during the run (peak sandboxes at once)', coldStarts.join(', ') || 'none'],
    ['resident memory (RSS) of the runtime process at rest, after start, no sandbox yet', mb(restingRss)],
    [
      'RSS of the whole process tree at rest (runtime, DynamoDB Local JVM, fauxqs), no sandbox yet; budget 1 GB',
      restingTreeRss === undefined ? 'n/a (no /proc)' : mb(restingTreeRss),
    ],
    [
      `RSS of the process tree at rest with one warm sandbox in each of the ${warmedHosts} HTTP functions (${firstColdStarts} cold starts)`,
      warmTreeRss === undefined ? 'n/a (no /proc)' : mb(warmTreeRss),
    ],
    [`RSS right after the burst, ${burstSandboxes} sandboxes alive`, mb(burstRss)],
    [
      `RSS of the process tree right after the burst, ${burstSandboxes} sandboxes alive`,
      burstTreeRss === undefined ? 'n/a (no /proc)' : mb(burstTreeRss),
    ],
  );
  console.log(`\n| measure (node ${process.version}, ${new Date().toISOString().slice(0, 10)}) | value |\n|---|---|`);
  for (const [measure, value] of rows) console.log(`| ${measure} | ${value} |`);
} finally {
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
}
