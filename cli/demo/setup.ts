import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localChannelFile, newChannel, readLocally, storeLocally } from '../payments/channels.ts';
import { CliError, localDir, localEnvironment } from '../target.ts';
import { Api } from './http.ts';
import type { Province } from './province.ts';

export interface ProvinceOptions {
  apiUrl?: string;
  clients?: string;
  channelFile?: string;
}

/** The demo clients' secrets from a clients file (`npm start` writes .local/demo-clients.json). */
export function readSecrets(file: string): Record<string, string> {
  if (!existsSync(file))
    throw new CliError(`no demo clients file at ${file}: start the suite with \`npm start\`, or pass --clients`);
  const clients = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { client_secret?: string }>;
  return Object.fromEntries(
    Object.entries(clients).flatMap(([id, client]) => (client.client_secret ? [[id, client.client_secret]] : [])),
  );
}

/**
 * Where the demo runs and with what: the API (--api-url, or what `npm start` runs), the demo clients'
 * secrets (--clients), and a payment channel: the one `dgov channels create --json` printed into
 * --channel-file, or the local suite's generic channel `demo` (made on the first run, reused after).
 */
export function provinceFrom(options: ProvinceOptions): Province {
  const apiUrl = (options.apiUrl ?? localEnvironment().apiUrl).replace(/\/$/, '');
  const secrets = readSecrets(options.clients ?? join(localDir(), 'demo-clients.json'));
  let channel: Province['channel'];
  if (options.channelFile) {
    const printed = JSON.parse(readFileSync(options.channelFile, 'utf8')) as { channel?: string; secret?: string };
    if (!printed.channel || !printed.secret)
      throw new CliError(`${options.channelFile}: not a generic channel (channel, secret)`);
    channel = { id: printed.channel, secret: printed.secret };
  } else channel = localDemoChannel(localDir());
  return { api: new Api(apiUrl), secrets, channel };
}

export const DEMO_CHANNEL = 'demo';

/**
 * The local suite's demo channel: one for every run, so that runs leave no channel file behind each.
 * Its secret stays the one stored first, which is also what a warm sandbox has cached.
 */
export function localDemoChannel(dataDir: string): Province['channel'] {
  const remedy = 'remove it, and the next demo run makes a new one';
  const stored = readLocally(dataDir, DEMO_CHANNEL, remedy);
  if (stored) {
    if (stored.adapter !== 'generic' || typeof stored.secret !== 'string' || stored.secret === '')
      throw new CliError(
        `the local channel ${DEMO_CHANNEL} (${localChannelFile(dataDir, DEMO_CHANNEL)}) is not a generic channel with a secret: ${remedy}`,
      );
    return { id: DEMO_CHANNEL, secret: stored.secret };
  }
  const created = newChannel(DEMO_CHANNEL, 'generic');
  try {
    storeLocally(dataDir, DEMO_CHANNEL, created.stored);
  } catch (error) {
    // Another demo run stored it meanwhile (whole: storeLocally links it into place): use that one.
    if (readLocally(dataDir, DEMO_CHANNEL, remedy)) return localDemoChannel(dataDir);
    throw error;
  }
  return { id: DEMO_CHANNEL, secret: created.stored.secret! };
}
