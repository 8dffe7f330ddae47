import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { publicJwkOf, type PublicJwk } from '../shared/crypto/signer.ts';

/**
 * The embedded runtime has no KMS: its signing keys are P-256 key files under the data
 * directory, made on first start (never committed: .local/ is ignored).
 */
export function ensureSigningKey(path: string, namedCurve = 'P-256'): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve });
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  return path;
}

/** CDK context for synthesizing the app to run locally: key files instead of KMS keys. */
export const localAppContext = (dataDir: string): Record<string, string> => ({
  auditKey: `file:${ensureSigningKey(join(dataDir, 'keys', 'audit-signing.pem'))}`,
  tokenKeys: `file:${ensureSigningKey(join(dataDir, 'keys', 'token-signing.pem'))}`,
  // Licence seals: SM2 (the default) and ES256 (infra/capabilities/licences/data.ts).
  licenceSealKeys: [
    `SM2-SM3:file:${ensureSigningKey(join(dataDir, 'keys', 'licence-seal-sm2.pem'), 'SM2')}`,
    `ES256:file:${ensureSigningKey(join(dataDir, 'keys', 'licence-seal-es256.pem'))}`,
  ].join(','),
  // Secrets Manager's stand-in: capabilities read their secrets from files under it (.local/secrets/).
  localDataDir: dataDir,
});

/** The public keys of the audit key files the functions sign with: what the local CLI pins. */
export const pinnedAuditKeys = (references: readonly (string | undefined)[]): PublicJwk[] =>
  [...new Set(references.filter((ref): ref is string => Boolean(ref?.startsWith('file:'))))].map((ref) =>
    publicJwkOf(createPrivateKey(readFileSync(ref.slice('file:'.length)))),
  );
