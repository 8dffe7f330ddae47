import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dgovInProcess } from '../../support/cli-in-process.ts';

// The real `dgov hotline rules check` as an operator runs it; it needs no running suite.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dgov-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dgov = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'cli/bin.mjs'), ...args],
      { cwd: ROOT, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
const inProcess = (...args: string[]) => dgovInProcess(args);
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

// One real process (the exit status a script sees); the other cases in-process, where a spawned
// `dgov` would cost about a second of CPU each (test/support/cli-in-process.ts).
describe('dgov hotline rules check', { timeout: 60_000 }, () => {
  it('exits 1 naming each bad rule, in text (as a process) and in JSON', async () => {
    const bad = file(
      'bad.json',
      JSON.stringify({
        rules: [
          { id: 'food', category: 'market.food', division: '370100', lead: 'dept-market' },
          { id: 'ghost', category: 'market.ghost', division: '370100', lead: 'dept-market' },
          { id: 'beijing', category: 'market.food', division: '110101', lead: 'dept-nobody' },
        ],
      }),
    );
    const text = await dgov('hotline', 'rules', 'check', bad);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('rule 1 (ghost): unknown category market.ghost');
    expect(text.stdout).toContain('rule 2 (beijing): unknown division 110101');
    expect(text.stdout).toContain('rule 2 (beijing): unknown lead department dept-nobody');
    const json = await inProcess('hotline', 'rules', 'check', bad, '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      rules: 3,
      valid: 1,
      problems: expect.arrayContaining([expect.objectContaining({ id: 'ghost' })]),
    });
  });

  it('exits 0 on the deployed rules file', async () => {
    const { status, stdout } = await inProcess('hotline', 'rules', 'check', join(ROOT, 'functions/hotline/rules.json'));
    expect(status).toBe(0);
    expect(stdout).toMatch(/all valid/);
  });

  it('exits 2 when the file is missing or not JSON', async () => {
    expect((await inProcess('hotline', 'rules', 'check', join(dir, 'missing.json'))).status).toBe(2);
    expect((await inProcess('hotline', 'rules', 'check', file('broken.json', '{ rules: ['))).status).toBe(2);
    expect((await inProcess('hotline', 'rules', 'check')).status).toBe(2);
  });
});
