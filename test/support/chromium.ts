import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's Chromium, installed by scripts/install-chromium.sh; undefined when missing. */
export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path) => spawnSync(path, ['--version']).status === 0,
);

// Flags that keep headless Chromium off this machine's closed network and out of the sandbox it cannot have as root.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Renders a page and returns the DOM Chromium built from it (scripts run, layout done). */
export function renderDom(url: string): string {
  if (!chromiumPath) throw new Error('chromium is not installed: bash scripts/install-chromium.sh');
  const profile = mkdtempSync(join(tmpdir(), 'dgov-chromium-'));
  try {
    return execFileSync(chromiumPath, [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', url], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export function screenshot(url: string, file: string): void {
  if (!chromiumPath) throw new Error('chromium is not installed');
  const profile = mkdtempSync(join(tmpdir(), 'dgov-chromium-'));
  try {
    execFileSync(
      chromiumPath,
      [...FLAGS, `--user-data-dir=${profile}`, `--screenshot=${file}`, '--window-size=900,1400', url],
      { timeout: 60_000, stdio: 'ignore' },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
