import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newChannel, storeLocally } from '../payments/channels.ts';
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
 * --channel-file, or a new generic channel stored for the local suite.
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
  } else {
    const created = newChannel(`demo-${randomBytes(4).toString('hex')}`, 'generic');
    storeLocally(localDir(), created.printed.channel, created.stored);
    channel = { id: created.printed.channel, secret: created.stored.secret! };
  }
  return { api: new Api(apiUrl), secrets, channel };
}
