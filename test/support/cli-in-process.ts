import { format } from 'node:util';
import { vi } from 'vitest';
import { main } from '../../cli/main.ts';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `dgov` in this process (cli/main.ts, as cli/bin.mjs runs it): its exit code and what it wrote to
 * stdout and stderr. A spawned `dgov` costs about a second of CPU (Node, tsx, the CLI's imports); a
 * test that asserts only output and exit codes runs it here. What needs a process of its own (the
 * SDK's warning, the real exit status) keeps a spawn. Captures global output: never run two at once.
 */
export async function dgovInProcess(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture = (into: string[]) => (chunk: string | Uint8Array) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout)),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr)),
    vi.spyOn(console, 'log').mockImplementation((...items) => void stdout.push(`${format(...items)}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...items) => void stderr.push(`${format(...items)}\n`)),
  ];
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    const status = await main(args);
    return { status, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
