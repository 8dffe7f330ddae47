// `npm start`: the whole suite on this machine, from the CDK app's own template.
import { mkdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../infra/app.ts';
import { JavaMissingError } from './embedded-aws.ts';
import { localAppContext } from './keys.ts';
import { capabilityInfra } from '../infra/capabilities/index.ts';
import { sandboxPool, startRuntime } from './runtime.ts';
import { synthStacks } from './synth.ts';
import { PROJECT_ROOT } from '../infra/project-root.ts';

const { values } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    port: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const started = Date.now();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dataDir = process.env.DGOV_LOCAL_DIR ?? join(PROJECT_ROOT, '.local');
mkdirSync(dataDir, { recursive: true });
const logFile = join(dataDir, 'functions.log');
const say = (line: string) => console.log(`[dgov] ${line}`);

try {
  const runtime = await startRuntime({
    synth: () => synthStacks((props) => buildApp(props).app, join(dataDir, 'cdk.out'), localAppContext(dataDir)),
    port: Number(values.port ?? process.env.PORT ?? 3000),
    dataDir,
    dynamodbPort: Number(process.env.DGOV_DYNAMODB_PORT ?? 8000),
    servicesPort: Number(process.env.DGOV_SERVICES_PORT ?? 4566),
    fresh: values.fresh,
    awsEndpoint: process.env.AWS_ENDPOINT_URL,
    faultInjection: process.env.DGOV_FAULT_INJECTION === '1',
    log: say,
    functionOutput: (name, line) => {
      appendFileSync(logFile, `[${name}] ${line}\n`);
      if (!values.quiet) console.log(`[${name}] ${line}`);
    },
  });
  for (const capability of capabilityInfra()) {
    const seed = await capability.localSeed?.();
    const done = await seed?.(runtime.environment, runtime.clients, dataDir);
    if (done) say(done);
  }
  say('routes:');
  for (const route of runtime.environment.routes) say(`  ${route}`);
  say(`endpoints: ${JSON.stringify(runtime.endpoints)}`);
  const pool = sandboxPool({});
  const reserved = [...runtime.hosts.values()]
    .filter((host) => host.pool.size !== pool.size)
    .map((host) => `${host.spec.displayName.split('/').pop()} ${host.pool.size}`);
  say(
    `sandboxes: up to ${pool.size} per function${reserved.length ? ` (reserved concurrency: ${reserved.join(', ')})` : ''}, retired after ${pool.idleMs / 1000} s idle`,
  );
  say(`environment written to ${join(dataDir, 'env.json')} (npx dgov env --json)`);
  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${runtime.url}  (Ctrl-C stops)`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await runtime.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if (error instanceof JavaMissingError) console.error(`[dgov] ${error.message}`);
  else console.error(`[dgov] could not start: ${(error as Error).stack ?? error}`);
  process.exit(1);
}
