import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Seals a token answer so that it can be stored next to the secret it answered (a refresh token)
 * and given again to a client that retries with that secret.
 *
 * The key is HMAC-SHA256(presented secret, label), used for AES-256-GCM with a random IV. The store
 * keeps only SHA-256 of the secret, from which the key cannot be derived: a copy of the table opens
 * nothing, and a stolen old refresh token without the table gives nothing either (the successor is
 * random, not derived from it). Only a caller presenting the secret itself can open the answer, and
 * within the grace that caller is given exactly what the refresh with that secret produced anyway.
 */
const LABEL = 'dgov refresh-retry seal v1';
const keyOf = (secret: string) => createHmac('sha256', secret).update(LABEL).digest();

export function seal(secret: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The sealed value, or undefined when the secret is not the one it was sealed with (or it was altered). */
export function unseal<T>(secret: string, sealed: string): T | undefined {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
