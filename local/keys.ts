import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The embedded runtime has no KMS: its signing keys are P-256 key files under the data
 * directory, made on first start (never committed: .local/ is ignored).
 */
export function ensureSigningKey(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  return path;
}

/** CDK context for synthesizing the app to run locally: key files instead of KMS keys. */
export const localAppContext = (dataDir: string): Record<string, string> => ({
  auditKey: `file:${ensureSigningKey(join(dataDir, 'keys', 'audit-signing.pem'))}`,
  tokenKeys: `file:${ensureSigningKey(join(dataDir, 'keys', 'token-signing.pem'))}`,
  // Secrets Manager's stand-in: capabilities read their secrets from files under it (.local/secrets/).
  localDataDir: dataDir,
});
