import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Reads a secret's JSON value by name; undefined when there is no such secret. */
export type SecretReader = (name: string) => Promise<Record<string, unknown> | undefined>;

/**
 * `file:<dir>` (the embedded runtime: `<dir>/<name>.json`, written by the CLI under .local/) or
 * `secretsmanager:<prefix>` (the secret `<prefix><name>`). Values are cached per sandbox for
 * `ttlMs`, absences for a few seconds (a channel created a moment ago works almost at once).
 */
export function secretReader(
  reference: string,
  secretsManager: () => Pick<SecretsManagerClient, 'send'>,
  ttlMs = 5 * 60_000,
  now: () => number = Date.now,
): SecretReader {
  const cache = new Map<string, { value: Record<string, unknown> | undefined; until: number }>();
  const read = reference.startsWith('file:')
    ? fileSecret(reference.slice('file:'.length))
    : awsSecret(reference.slice('secretsmanager:'.length), secretsManager);
  return async (name) => {
    const cached = cache.get(name);
    if (cached && cached.until > now()) return cached.value;
    const value = await read(name);
    cache.set(name, { value, until: now() + (value ? ttlMs : 5_000) });
    return value;
  };
}

const fileSecret =
  (dir: string) =>
  async (name: string): Promise<Record<string, unknown> | undefined> => {
    try {
      return JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };

const awsSecret =
  (prefix: string, client: () => Pick<SecretsManagerClient, 'send'>) =>
  async (name: string): Promise<Record<string, unknown> | undefined> => {
    try {
      const { SecretString } = await client().send(new GetSecretValueCommand({ SecretId: `${prefix}${name}` }));
      return SecretString ? (JSON.parse(SecretString) as Record<string, unknown>) : undefined;
    } catch (error) {
      if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException')
        return undefined;
      throw error;
    }
  };
