import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
});
