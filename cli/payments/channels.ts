import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHANNEL_ID } from '../../functions/payments/channels/directory.ts';
import { CliError } from '../target.ts';

export type Adapter = 'generic' | 'alipay';

/** What the channel's secret holds, and what is printed once. */
export function newChannel(id: string, adapter: Adapter, appId = '2021000000000001') {
  if (!CHANNEL_ID.test(id)) throw new CliError(`--id ${id}: lower-case letters, digits and -, at most 32`);
  if (adapter === 'generic') {
    const secret = randomBytes(32).toString('base64url');
    return { stored: { adapter, secret }, printed: { channel: id, adapter, secret } };
  }
  const pem = (pair: ReturnType<typeof generateKeyPairSync>) => ({
    privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  });
  // Our application's key pair (its public half is uploaded to Alipay), and a pair standing in for
  // Alipay's own: its private half signs test notifications; in production replace alipayPublicKey
  // in the secret with the key Alipay's console shows.
  const app = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const alipay = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }));
  return {
    stored: { adapter, appId, appPrivateKey: app.privateKey, alipayPublicKey: alipay.publicKey },
    printed: {
      channel: id,
      adapter,
      appId,
      appPublicKey: app.publicKey,
      alipayPublicKey: alipay.publicKey,
      alipayPrivateKey: alipay.privateKey,
    },
  };
}

const localChannelFile = (dataDir: string, id: string) =>
  join(dataDir, 'secrets', 'payments', 'channels', `${id}.json`);

/** The embedded runtime's stand-in for Secrets Manager: .local/secrets/payments/channels/<id>.json (mode 600). */
export function storeLocally(dataDir: string, id: string, value: object): string {
  const file = localChannelFile(dataDir, id);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  try {
    // wx: created only if absent, atomically, so two creators cannot both think they made it.
    writeFileSync(file, `${JSON.stringify(value)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`channel ${id} exists (${file})`);
    throw error;
  }
  return file;
}

/** A channel stored for the embedded runtime, as storeLocally wrote it; undefined when there is none. */
export function readLocally(dataDir: string, id: string): Record<string, unknown> | undefined {
  const file = localChannelFile(dataDir, id);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

/** A deployed stage: the secret dgov/<stage>/payments/channels/<id> the payments function reads. */
export async function storeInSecretsManager(stage: string, region: string, id: string, value: object) {
  const client = new SecretsManagerClient({ region });
  try {
    await client.send(
      new CreateSecretCommand({
        Name: `dgov/${stage}/payments/channels/${id}`,
        SecretString: JSON.stringify(value),
        Description: `dgov payment channel ${id}`,
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ResourceExistsException') throw new CliError(`channel ${id} exists`);
    throw error;
  }
}
