import type { EmitAudit } from '../../../shared/audit.ts';
import type { AccessClaims } from '../../../shared/auth/verifier.ts';
import type { Signer } from '../../../shared/crypto/signer.ts';
import type { ScryptCost } from '../passwords.ts';
import type { IdentityPorts } from '../ports.ts';

/**
 * Everything the identity use cases take. Each use case names the few parts it needs
 * (`Pick<IdentityDeps, …>`), so a test or a caller provides only those.
 */
export interface IdentityDeps extends IdentityPorts {
  signer: Signer;
  issuer: string;
  audience: string;
  audit: EmitAudit;
  /** Login attempts one source may make per minute before 429. */
  loginAttemptsPerMinute: number;
  /** The claims of a valid, unrevoked access token of this issuer; undefined for any other string. */
  activeAccessToken: (token: string) => Promise<AccessClaims | undefined>;
  /**
   * Hashes a new password; passwords.ts's scrypt at SCRYPT_COST unless a test of the use cases takes a
   * cheaper cost (the stored hash names its cost, so verifying follows whatever made it).
   */
  hashPassword?: (password: string) => Promise<string>;
  /**
   * The cost new hashes are made at (passwords.ts SCRYPT_COST unless set; the handler sets it only from
   * DGOV_PASSWORD_SCRYPT_N, which the deployed stacks leave unset): registration hashes at it, a login
   * whose stored hash is cheaper rehashes the password at it, and an unknown account's decoy costs it.
   * A test that sets a cheaper hashPassword sets this to match.
   */
  passwordCost?: ScryptCost;
  /** Checks a password against its stored hash; passwords.ts's scrypt unless a test counts the calls. */
  verifyPassword?: (password: string, passwordHash: string) => Promise<boolean>;
  /**
   * How long a retry with a just-used refresh token, or a retry of the same code exchange, gets the
   * same answer again; 10 s unless set.
   */
  refreshGraceSeconds?: number;
  /**
   * The region serving the request: the home region (home-region.ts) of the sessions it opens, and so
   * of everything they produce. Unset (a single region, tests): handles carry no region tag.
   */
  homeRegion?: string;
  /** Where a new sign-in is homed instead when homeRegion's table cannot be reached: the stage's other region. */
  fallbackHomeRegions?: string[];
  /** Counts an event (a Powertools metric in the Lambda); nothing unless given. */
  countMetric?: (
    name: 'refreshReuseAllowed' | 'refreshReuseRefused' | 'codeRetryAllowed' | 'codeReplayRefused' | 'passwordRehashed',
  ) => void;
  /** Seconds since the epoch; tests pass a clock of their own. */
  now?: () => number;
}

export const nowSeconds = (deps: Pick<IdentityDeps, 'now'>): number =>
  deps.now ? deps.now() : Math.floor(Date.now() / 1000);
