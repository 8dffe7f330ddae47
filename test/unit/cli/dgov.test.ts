import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../local/ports.ts';
import { dgovInProcess } from '../../support/cli-in-process.ts';

// The real `dgov` (cli/bin.mjs) as a user runs it; no service is needed, so it lives with the unit tests.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SDK_WARNING = /NodeVersionSupportWarning|AWS SDK for JavaScript/;

// vitest silences the SDK's Node-version warning for every test; the CLI must do that itself.
const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _silenced, ...userEnv } = process.env;

let localDir: string;
const run = (file: string, args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...userEnv, DGOV_LOCAL_DIR: localDir };
    execFile(file, args, { cwd: ROOT, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
const dgov = (...args: string[]) => run(process.execPath, [join(ROOT, 'cli/bin.mjs'), ...args]);

beforeAll(async () => {
  localDir = mkdtempSync(join(tmpdir(), 'dgov-cli-'));
  // What `npm start` would write, with every endpoint on a port nothing listens on.
  const closed = `http://127.0.0.1:${await freePort()}`;
  const endpoints = { dynamodb: closed, sqs: closed, s3: closed, sns: closed };
  const env = { apiUrl: closed, region: 'cn-north-1', endpoints, tables: { controlTable: 'control' } };
  writeFileSync(join(localDir, 'env.json'), JSON.stringify({ ...env, buckets: { auditBucket: 'audit' }, queues: {} }));
});
afterAll(() => rmSync(localDir, { recursive: true, force: true }));

// A spawned `dgov` costs about a second of CPU: each kind of check runs as a process once (help,
// a usage error, output, the SDK warning); the rest of the help and usage checks run in-process
// (test/support/cli-in-process.ts), where they assert the same output and exit codes.
describe.concurrent('dgov as a process: help, usage errors, exit codes and the SDK warning', {
  timeout: 60_000,
}, () => {
  it('dgov --help lists the commands and the exit codes, and exits 0', async ({ expect }) => {
    const { status, stdout } = await dgov('--help');
    expect(status).toBe(0);
    for (const command of ['audit', 'clients', 'env', '--json']) expect(stdout).toContain(command);
    expect(stdout).toMatch(/Exit codes:\n\s+0 +done\n\s+1 +the audit trail is not intact.*\n\s+2 +a usage error/);
  });

  it('an unknown command exits 2 and says so', async ({ expect }) => {
    const top = await dgov('frobnicate');
    expect(top.status).toBe(2);
    expect(top.stderr).toContain("dgov: unknown command 'frobnicate'");
  });

  it('a command that builds SDK clients prints no SDK warning, and says when nothing answers', async ({ expect }) => {
    const { status, stderr } = await dgov('audit', 'query');
    expect(status).toBe(2);
    expect(stderr).toMatch(/^dgov: nothing answers at 127\.0\.0\.1:\d+; is `npm start` running\?\n$/);
    expect(stderr).not.toMatch(SDK_WARNING);
  });

  // Without this, the test above would pass just as well on an SDK or a Node that never warns.
  const warns = Number(process.versions.node.split('.')[0]) < 22;
  it.runIf(warns)('the SDK does warn on this Node when not told otherwise', async ({ expect }) => {
    const script = "import { S3Client } from '@aws-sdk/client-s3'; new S3Client({ region: 'cn-north-1' });";
    const { stderr } = await run(process.execPath, ['--input-type=module', '--eval', script]);
    expect(stderr).toMatch(SDK_WARNING);
  });
});

describe('dgov in-process: help, usage errors and exit codes', () => {
  const inProcess = (...args: string[]) => dgovInProcess(args, { DGOV_LOCAL_DIR: localDir });

  it('dgov audit --help lists its subcommands', async () => {
    const { status, stdout } = await inProcess('audit', '--help');
    expect(status).toBe(0);
    for (const sub of ['query', 'seal', 'verify', 'report']) expect(stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
  });

  it('dgov audit verify --help lists its own, the target and the global options', async () => {
    const { status, stdout } = await inProcess('audit', 'verify', '--help');
    expect(status).toBe(0);
    for (const option of ['--from', '--to', '--trusted-key', '--grace', '--bucket', '--region', '--json']) {
      expect(stdout).toContain(option);
    }
  });

  it('dgov clients create --help (once an error) lists its options', async () => {
    const { status, stdout } = await inProcess('clients', 'create', '--help');
    expect(status).toBe(0);
    for (const option of ['--id', '--kind', '--scopes', '--department', '--redirect-uri', '--identity-table']) {
      expect(stdout).toContain(option);
    }
  });

  it('an unknown subcommand exits 2 and says so', async () => {
    const sub = await inProcess('audit', 'frobnicate');
    expect(sub.status).toBe(2);
    expect(sub.stderr).toContain("dgov audit: unknown command 'frobnicate'");
  });

  it('an unknown option or a missing required one exits 2 and names it', async () => {
    const unknown = await inProcess('audit', 'query', '--bogus');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const missing = await inProcess('audit', 'report');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("required option '--out <file>' not specified");
  });

  it('dgov env --json prints the environment, with --json before or after the command', {
    timeout: 60_000,
  }, async () => {
    const after = await dgov('env', '--json');
    const before = await inProcess('--json', 'env');
    expect(after.status).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ region: 'cn-north-1', buckets: { auditBucket: 'audit' } });
    expect(after.stderr).toBe('');
    expect(before).toEqual({ status: 0, stdout: after.stdout, stderr: '' });
  });

  it('dgov demo --help says what it walks and its exit codes; with no demo clients it exits 2 saying so', async () => {
    const help = await inProcess('demo', '--help');
    expect(help.status).toBe(0);
    for (const text of ['--api-url', '--no-seed', 'work-queue page', 'Exit codes']) expect(help.stdout).toContain(text);
    const missing = await inProcess('demo', '--json');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^dgov: no demo clients file at .*demo-clients\.json/);
    expect(missing.stdout).toBe('');
  });

  it('dgov demo when nothing answers at the API exits 2 and says so', async () => {
    const clients = join(localDir, 'clients.json');
    writeFileSync(clients, JSON.stringify({ 'demo-department': { client_secret: 's' } }));
    const { status, stderr } = await inProcess('demo', '--clients', clients);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^dgov: nothing answers at 127\.0\.0\.1:\d+; is `npm start` running\?\n$/);
  });

  it('leaves the exit code of the process that runs it as it was', async () => {
    const outer = process.exitCode;
    expect((await inProcess('audit', 'report')).status).toBe(2);
    expect(process.exitCode).toBe(outer);
  });
});
