import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { scratchDir } from '../../local/scratch.ts';
import { freePort } from '../../local/ports.ts';
import { beforeCoverage } from './coverage-hooks.ts';
import { FAILED, STARTED } from '../support/target-status.ts';

export interface E2eTarget {
  name: 'embedded' | 'localstack' | 'aws';
  /** Set when the suite can run; otherwise `skipReason` says why every journey is skipped. */
  apiUrl?: string;
  skipReason?: string;
  /** The directory `npm start` writes its environment to (embedded only). */
  localDir?: string;
  /** Still starting when the files begin: test/support/target.ts waits for STARTED or FAILED in localDir. */
  starting?: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    target: E2eTarget;
  }
}

async function reachable(apiUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** A deployed stage: DGOV_API_URL, or the HttpApi URL in a CDK outputs file. */
function deployedApiUrl(outputsFile: string): string | undefined {
  if (process.env.DGOV_API_URL) return process.env.DGOV_API_URL.replace(/\/$/, '');
  if (!existsSync(outputsFile)) return undefined;
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  for (const stack of Object.values(outputs))
    for (const [key, value] of Object.entries(stack)) if (/ApiUrl/i.test(key)) return value.replace(/\/$/, '');
  return undefined;
}

/**
 * Runs the real `npm start` entry point on free ports and returns at once: the other projects' files
 * run while it starts (half a minute of synth, bundling and emulators), and the e2e files, which run
 * last (test/setup/sequencer.ts), wait for it in test/support/target.ts. Its outcome is written to
 * STARTED or FAILED in its directory.
 */
async function startEmbedded(): Promise<{ target: E2eTarget; child: ChildProcess; dir: string }> {
  const dir = scratchDir('e2e');
  const port = await freePort();
  const child = spawn(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['local/start.ts', '--quiet'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DGOV_LOCAL_DIR: dir,
      DGOV_DYNAMODB_PORT: String(await freePort()),
      DGOV_SERVICES_PORT: String(await freePort()),
      AWS_ENDPOINT_URL: '',
      // Journeys that need a dependency to fail arm it themselves (local/fault-injection.ts).
      DGOV_FAULT_INJECTION: '1',
      // Several sandboxes per function, so races cross sandboxes, but not 10: each identity cold start
      // derives a 128 MiB scrypt decoy, and ten at once outlast the 10 s timeout on a busy 2-core machine.
      DGOV_SANDBOXES: '4',
      // As `npm start` (package.json): each Lambda sandbox has a libuv pool of its own, the local ones share the process's.
      UV_THREADPOOL_SIZE: '64',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready in [\d.]+ s: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`npm start exited with ${code} before it was ready:\n${output.slice(-2000)}`)),
    );
    setTimeout(
      () => reject(new Error(`npm start was not ready within 180 s:\n${output.slice(-2000)}`)),
      180_000,
    ).unref();
  });
  ready.then(
    (url) => writeFileSync(join(dir, STARTED), url),
    (error: Error) => writeFileSync(join(dir, FAILED), error.message),
  );
  return {
    target: { name: 'embedded', apiUrl: `http://127.0.0.1:${port}`, localDir: dir, starting: true },
    child,
    dir,
  };
}

export default async function setup(project: TestProject) {
  const name = (process.env.DGOV_TARGET ?? 'embedded') as E2eTarget['name'];
  if (name === 'embedded') {
    const { target, child, dir } = await startEmbedded();
    project.provide('target', target);
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    // The child writes its coverage as it stops: under coverage it stops before that is read.
    if (process.env.DGOV_COVERAGE_DIR) beforeCoverage(stop);
    return async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const outputsFile =
    process.env.DGOV_OUTPUTS_FILE ??
    join(PROJECT_ROOT, name === 'localstack' ? '.local/localstack-outputs.json' : 'cdk-outputs.json');
  const apiUrl = deployedApiUrl(outputsFile);
  if (!apiUrl) {
    project.provide('target', { name, skipReason: `no ${name} deployment: set DGOV_API_URL or write ${outputsFile}` });
  } else if (!(await reachable(apiUrl))) {
    project.provide('target', { name, skipReason: `${name} target ${apiUrl} is not reachable` });
  } else {
    project.provide('target', { name, apiUrl });
  }
}
