/** Environment variable names of the identity capability, set by infra/capabilities/identity/. */
export const IDENTITY_ENV = {
  identityTable: 'DGOV_IDENTITY_TABLE',
  /** Token signing keys, comma-separated (KMS ids/ARNs or file:…): the first signs, all are published. */
  tokenKeys: 'DGOV_TOKEN_KEYS',
  loginAttemptsPerMinute: 'DGOV_LOGIN_ATTEMPTS_PER_MINUTE',
  /** Seconds a retry with a just-used refresh token gets the same answer again (0: never). */
  refreshGraceSeconds: 'DGOV_REFRESH_GRACE_SECONDS',
  /**
   * scrypt's N for new password hashes (a power of two from 2^10 to 2^17). Unset, as the deployed
   * stacks and `npm start` leave it: passwords.ts SCRYPT_COST (2^17). Only a test's runtime lowers it.
   */
  passwordScryptN: 'DGOV_PASSWORD_SCRYPT_N',
  /** The OpenID issuer: the API's public base URL. */
  issuer: 'DGOV_ISSUER',
} as const;
