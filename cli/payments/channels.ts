import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

export const localChannelFile = (dataDir: string, id: string) =>
  join(dataDir, 'secrets', 'payments', 'channels', `${id}.json`);

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The embedded runtime's stand-in for Secrets Manager: .local/secrets/payments/channels/<id>.json (mode 600). */
export function storeLocally(dataDir: string, id: string, value: object): string {
  const file = localChannelFile(dataDir, id);
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // One made earlier (by hand, or by a test) may be open to others; it holds secrets.
  chmodSync(dir, 0o700);
  // Written whole under a name of its own, then linked into place: a link fails when the file exists,
  // so it is created exclusively, and a racer reading it never finds it empty or half-written (wx did).
  const draft = join(dir, `.${id}.json.${process.pid}.${randomBytes(6).toString('hex')}`);
  writeFileSync(draft, `${JSON.stringify(value)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') throw new CliError(`channel ${id} exists (${file})`);
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  return file;
}

/**
 * A channel stored for the embedded runtime, as storeLocally wrote it; undefined when there is none.
 * A file that is not one (cut short, edited, a directory) is a CliError naming it and `remedy`.
 */
export function readLocally(
  dataDir: string,
  id: string,
  remedy = `remove it and create the channel again (dgov channels create --id ${id})`,
): Record<string, unknown> | undefined {
  const file = localChannelFile(dataDir, id);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw new CliError(
      `${file} cannot be read as a stored channel (${codeOf(error) ?? (error as Error).message}): ${remedy}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new CliError(`${file} is not a stored channel (a JSON object; it may have been cut short): ${remedy}`);
  return value as Record<string, unknown>;
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
