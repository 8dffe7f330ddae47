import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHANNEL, localDemoChannel } from '../../../cli/demo/setup.ts';
import { readLocally, storeLocally } from '../../../cli/payments/channels.ts';
import { CliError } from '../../../cli/target.ts';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'dgov-demo-channel-'));
  dirs.push(dir);
  return dir;
};
const channelFiles = (dir: string) => readdirSync(join(dir, 'secrets', 'payments', 'channels'));

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the local demo's payment channel", () => {
  it('is made on the first run and reused after: one file, the same secret', () => {
    const dir = dataDir();
    const first = localDemoChannel(dir);
    const second = localDemoChannel(dir);
    expect(first.id).toBe(DEMO_CHANNEL);
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).toEqual(first);
    expect(channelFiles(dir)).toEqual([`${DEMO_CHANNEL}.json`]);
  });

  it('refuses a stored demo channel that is not generic, rather than sending unsigned callbacks', () => {
    const dir = dataDir();
    storeLocally(dir, DEMO_CHANNEL, { adapter: 'alipay', appId: '2021000000000001' });
    expect(() => localDemoChannel(dir)).toThrow(CliError);
  });

  it('storing a channel that exists fails and leaves the stored one as it was', () => {
    const dir = dataDir();
    storeLocally(dir, 'bank', { adapter: 'generic', secret: 'first' });
    expect(() => storeLocally(dir, 'bank', { adapter: 'generic', secret: 'second' })).toThrow(/exists/);
    expect(readLocally(dir, 'bank')).toEqual({ adapter: 'generic', secret: 'first' });
  });

  it('demo runs racing to make it all get the one stored, and none a raw error', async () => {
    const base = dataDir();
    const rounds = 400;
    const racers = Array.from({ length: 3 }, () =>
      spawn(process.execPath, ['--import', 'tsx', RACER, base, String(rounds), '2'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const outputs = racers.map((racer) => {
      let out = '';
      racer.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      return { ready: waitFor(() => out.startsWith('ready\n')), done: once(racer, 'exit'), out: () => out };
    });
    await Promise.all(outputs.map((output) => output.ready));
    const startAt = Date.now() + 100;
    for (const racer of racers) racer.stdin.end(`${startAt}\n`);
    const codes = await Promise.all(outputs.map((output) => output.done));
    expect(codes.map(([code]) => code)).toEqual([0, 0, 0]);
    const answers = outputs.map((output) =>
      output
        .out()
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { round: number; secret?: string; error?: string }),
    );
    expect(answers.flat().filter((answer) => answer.error)).toEqual([]);
    for (let round = 0; round < rounds; round++) {
      const secrets = new Set(answers.map((racer) => racer[round]?.secret));
      expect(secrets.size, `round ${round}`).toBe(1);
      expect([...secrets][0]).toBe(readLocally(join(base, `run-${round}`), DEMO_CHANNEL)!.secret);
      expect(channelFiles(join(base, `run-${round}`))).toEqual([`${DEMO_CHANNEL}.json`]);
    }
  }, 60_000);

  it.each([
    ['empty', ''],
    ['cut short', '{"adapter":"generic","secr'],
    ['not JSON', 'adapter=generic\n'],
    ['JSON null', 'null'],
    ['a JSON list', '["generic"]'],
    ['a JSON string', '"generic"'],
  ])('a demo.json that is %s: a CliError naming the file and what to do, not a raw error', (_, content) => {
    const dir = dataDir();
    const file = demoFile(dir);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
    const error = caught(() => localDemoChannel(dir));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/remove it/);
    expect(readFileSync(file, 'utf8')).toBe(content); // left for the user to look at
  });

  it('a demo.json that is a directory: a CliError naming it', () => {
    const dir = dataDir();
    mkdirSync(demoFile(dir), { recursive: true });
    const error = caught(() => localDemoChannel(dir));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toContain(demoFile(dir));
  });

  it.each([
    ['of another adapter', { adapter: 'alipay', appId: '2021000000000001' }],
    ['without a secret', { adapter: 'generic' }],
    ['with an empty secret', { adapter: 'generic', secret: '' }],
    ['with a secret that is not a string', { adapter: 'generic', secret: 42 }],
  ])('a demo channel %s: a CliError naming the file, and the file left as it was', (_, stored) => {
    const dir = dataDir();
    storeLocally(dir, DEMO_CHANNEL, stored);
    const error = caught(() => localDemoChannel(dir));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toContain(demoFile(dir));
    expect(error.message).toMatch(/remove it/);
    expect(readLocally(dir, DEMO_CHANNEL)).toEqual(stored);
  });

  it('is readable by its owner only: the file 0600, the directories made for it 0700', () => {
    const dir = dataDir();
    const previous = process.umask(0o000);
    try {
      localDemoChannel(dir);
    } finally {
      process.umask(previous);
    }
    expect(statSync(demoFile(dir)).mode & 0o777).toBe(0o600);
    for (const sub of ['secrets', 'secrets/payments', 'secrets/payments/channels'])
      expect(statSync(join(dir, sub)).mode & 0o777).toBe(0o700);
    expect(channelFiles(dir)).toEqual([`${DEMO_CHANNEL}.json`]);
  });

  it('a channels directory someone made readable to all is made 0700 when a channel is stored in it', () => {
    const dir = dataDir();
    const channels = join(dir, 'secrets', 'payments', 'channels');
    mkdirSync(channels, { recursive: true, mode: 0o755 });
    chmodSync(channels, 0o755);
    localDemoChannel(dir);
    expect(statSync(channels).mode & 0o777).toBe(0o700);
    expect(statSync(demoFile(dir)).mode & 0o777).toBe(0o600);
  });
});

const RACER = fileURLToPath(new URL('../../support/demo-channel-racer.ts', import.meta.url));

async function waitFor(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

const demoFile = (dir: string) => join(dir, 'secrets', 'payments', 'channels', `${DEMO_CHANNEL}.json`);

function caught(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('it did not throw');
}
