// `npm run bench`: figures measured side by side in one run, on this machine.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../infra/app.ts';
import { startRuntime } from '../local/runtime.ts';
import { localAppContext } from '../local/keys.ts';
import { synthStacks } from '../local/synth.ts';
import { freePort } from '../local/ports.ts';
import { scratchDir } from '../local/scratch.ts';
import { auditBench } from './audit.ts';
import { endpointsBench } from './endpoints.ts';
import { functionsBench } from './functions.ts';
import { hotlineBench } from './hotline.ts';
import { identityBench } from './identity.ts';
import { licencesBench } from './licences.ts';
import { loadBench } from './load.ts';
import { paymentsBench } from './payments.ts';
import { type BenchRow, formatTable } from './table.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
/** The env vars that change what is measured, recorded with the results. */
const SETTINGS = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name.startsWith('BENCH_') || name === 'UV_THREADPOOL_SIZE'),
);
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const loadStart = loadavg();
/** BENCH_ONLY=functions,load runs only those areas (the runtime's own rows always). */
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const runArea = async (name: string, run: () => Promise<BenchRow[]>) => {
  if (only && !only.includes(name)) return [];
  console.error(`bench: ${name} (load average ${loadavg()[0]!.toFixed(1)})`);
  return run();
};

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
const MB = 1024 * 1024;
// At rest: everything started, no sandbox yet (they start on the first invocation).
const restingRss = process.memoryUsage().rss;
const restingTreeRss = treeRss();

try {
  // One sandbox of each HTTP function, idle again: the runtime at rest once every capability has served.
  const coldBefore = new Map([...runtime.hosts].map(([name, host]) => [name, host.coldStarts]));
  for (const path of ['/health', '/openapi.json', '/.well-known/openid-configuration', '/oauth2/userinfo', '/nowhere'])
    await (await fetch(`${runtime.url}${path}`)).arrayBuffer();
  const warmedHosts = [...runtime.hosts.values()].filter((host) => host.sandboxes > 0).length;
  const firstColdStarts = [...runtime.hosts].filter(([name, host]) => host.coldStarts > coldBefore.get(name)!).length;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const warmTreeRss = treeRss();

  const endpoints = await runArea('endpoints', () => endpointsBench(runtime));

  // A burst of concurrent requests scales /health out over its pool of sandboxes.
  const healthHost = [...runtime.hosts.values()].find((host) => host.spec.displayName.endsWith('/Health'))!;
  const BURST = 2 * healthHost.pool.size;
  const coldBeforeBurst = healthHost.coldStarts;
  const burstStarted = performance.now();
  // Counted, not thrown: /health answers 503 when a dependency check is slow on a busy machine.
  const burstStatuses = await Promise.all(
    Array.from({ length: BURST }, async () => {
      const response = await fetch(`${runtime.url}/health`);
      await response.arrayBuffer();
      return response.status;
    }),
  );
  const burstOk = burstStatuses.filter((status) => status === 200).length;
  const burstMs = performance.now() - burstStarted;
  const burstColdStarts = healthHost.coldStarts - coldBeforeBurst;
  const burstSandboxes = [...runtime.hosts.values()].reduce((sum, host) => sum + host.sandboxes, 0);
  const burstRss = process.memoryUsage().rss;
  const burstTreeRss = treeRss();

  const area = 'runtime';
  const rss = (measure: string, bytes: number | undefined): BenchRow =>
    bytes === undefined
      ? { area, measure: `${measure} (n/a: no /proc)` }
      : { area, measure, value: bytes / MB, unit: 'MB' };
  const rows: BenchRow[] = [
    {
      area,
      measure: '`npm start` to ready (synth, emulators, provisioning; in-memory DynamoDB)',
      value: readyMs / 1000,
      unit: 's',
    },
    ...endpoints,
    ...(await runArea('functions', () => functionsBench(runtime, dir))),
    ...(await runArea('identity', () => identityBench(runtime))),
    ...(await runArea('audit', () => auditBench())),
    ...(await runArea('licences', () => licencesBench(runtime))),
    ...(await runArea('hotline', () => hotlineBench(runtime))),
    ...(await runArea('payments', () => paymentsBench(runtime, dir))),
    ...(await runArea('load', () => loadBench(runtime, dir))),
  ];
  const coldStarts = [...runtime.hosts.values()]
    .filter((host) => host.coldStarts > 0)
    .map(
      (host) =>
        `${host.spec.displayName.split('/').slice(-2).join('/')} ${host.coldStarts} (peak ${host.peakSandboxes})`,
    );
  rows.push(
    {
      area,
      measure: `a burst of ${BURST} concurrent GET /health (pool of ${healthHost.pool.size} sandboxes): ${burstOk} answered 200, ${BURST - burstOk} other; ${burstColdStarts} cold starts`,
      value: burstMs,
      unit: 'ms',
    },
    {
      area,
      measure: `cold starts per function during the run (peak sandboxes at once): ${coldStarts.join(', ') || 'none'}`,
    },
    rss('resident memory (RSS) of the runtime process at rest, after start, no sandbox yet', restingRss),
    rss(
      'RSS of the whole process tree at rest (runtime, DynamoDB Local JVM, fauxqs), no sandbox yet; budget 1 GB',
      restingTreeRss,
    ),
    rss(
      `RSS of the process tree at rest with one warm sandbox in each of the ${warmedHosts} HTTP functions (${firstColdStarts} cold starts)`,
      warmTreeRss,
    ),
    rss(`RSS right after the burst, ${burstSandboxes} sandboxes alive`, burstRss),
    rss(`RSS of the process tree right after the burst, ${burstSandboxes} sandboxes alive`, burstTreeRss),
  );
  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadAverage1m: { atStart: loadStart[0], atEnd: loadavg()[0] },
    loadAverage5m: { atStart: loadStart[1], atEnd: loadavg()[1] },
  };
  const fix = (n: number) => n.toFixed(2);
  console.log(
    `\nnode ${machine.node}, ${machine.cpus} CPUs, load average (1 min) ${fix(loadStart[0]!)} at start, ${fix(loadavg()[0]!)} at end; ${machine.date}\n`,
  );
  console.log(formatTable(rows));
  writeFileSync(RESULTS, `${JSON.stringify({ machine, settings: SETTINGS, rows }, null, 2)}\n`);
  console.log(`\nwritten to ${RESULTS}`);
} finally {
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
}
