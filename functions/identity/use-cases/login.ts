import type { AuditOutcome } from '../../../shared/audit.ts';
import { DependencyUnavailableError, RateLimitedError } from '../../../shared/errors.ts';
import type { Account } from '../model.ts';
import {
  decoyHash,
  decoyHashAt,
  hashPassword,
  hashSecret,
  needsRehash,
  SCRYPT_COST,
  verifyPassword,
} from '../passwords.ts';
import type { LockoutPolicy } from '../ports.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';

export const LOGIN_WINDOW_SECONDS = 15 * 60;
const LOCK_AFTER_FAILURES = 5;
export const LOCK_SECONDS = 15 * 60;
const LOCKOUT: LockoutPolicy = {
  windowSeconds: LOGIN_WINDOW_SECONDS,
  lockAfter: LOCK_AFTER_FAILURES,
  lockSeconds: LOCK_SECONDS,
};

/** Wrong password, unknown account and locked account look alike to the caller. */
export class LoginFailedError extends Error {
  constructor(readonly reason: 'bad-credentials' | 'locked') {
    super('the identifier or the password is not right, or the account is locked for a while');
  }
}

export type LoginDeps = Pick<
  IdentityDeps,
  | 'accounts'
  | 'loginAttempts'
  | 'rateCounter'
  | 'audit'
  | 'loginAttemptsPerMinute'
  | 'verifyPassword'
  | 'hashPassword'
  | 'passwordCost'
  | 'countMetric'
  | 'now'
>;
type LoginContext = { sourceIp: string; requestId: string };

/**
 * Checks a login name and password, with a per-source rate limit and a per-account lockout. The
 * attempt is counted before the password is checked, in one atomic write that also refuses a locked
 * key or one that used up its attempts: however many requests run in parallel, at most LOCK_AFTER
 * passwords are checked before the lock.
 */
export async function authenticate(
  username: string,
  password: string,
  context: LoginContext,
  deps: LoginDeps,
): Promise<Account> {
  const now = nowSeconds(deps);
  await limitLoginAttempts(context.sourceIp, now, deps);
  const identifier = username.trim().toUpperCase();
  const account = await deps.accounts.accountByIdentifier(identifier);
  const lockKey = lockKeyOf(account, identifier);
  const attempt = await deps.loginAttempts.startAttempt(lockKey, now, LOCKOUT);
  if (!attempt.admitted) {
    await auditLogin(account, 'denied', context, deps);
    throw new LoginFailedError('locked');
  }
  // Same scrypt work whether or not the account exists.
  const verify = deps.verifyPassword ?? verifyPassword;
  const decoy = () => (deps.passwordCost ? decoyHashAt(deps.passwordCost) : decoyHash);
  const passwordOk = await verify(password, account?.passwordHash ?? (await decoy()));
  if (!account || !passwordOk) {
    // The attempt is already counted: the one that used up the last attempt locks.
    if (attempt.count >= LOCK_AFTER_FAILURES) await deps.loginAttempts.lock(lockKey, now, LOCKOUT);
    await auditLogin(account, 'denied', context, deps);
    throw new LoginFailedError('bad-credentials');
  }
  // A lock that began while this attempt was checked (other attempts used up the count) holds.
  const { lockedUntil } = await deps.loginAttempts.clearFailures(account.accountId, now, LOGIN_WINDOW_SECONDS);
  if (lockedUntil !== undefined) {
    await auditLogin(account, 'denied', context, deps);
    throw new LoginFailedError('locked');
  }
  await upgradePasswordHash(account, password, deps);
  await auditLogin(account, 'success', context, deps);
  return account;
}

/**
 * A hash made at an earlier, cheaper cost (N=2^15) is replaced by one at the current cost, now that
 * the password is known to be right: conditional on the stored hash being the one just checked, so
 * a password changed meanwhile stays. Best effort: the login stands if the write fails, and the next
 * login tries again.
 */
async function upgradePasswordHash(account: Account, password: string, deps: LoginDeps) {
  const cost = deps.passwordCost ?? SCRYPT_COST;
  if (!needsRehash(account.passwordHash, cost)) return;
  try {
    const rehashed = await (deps.hashPassword ?? ((value: string) => hashPassword(value, cost)))(password);
    if ((await deps.accounts.replacePasswordHash(account, rehashed)) === 'replaced') {
      deps.countMetric?.('passwordRehashed');
    }
  } catch (error) {
    if (!(error instanceof DependencyUnavailableError)) throw error;
  }
}

async function limitLoginAttempts(sourceIp: string, now: number, deps: LoginDeps) {
  const attempts = await deps.rateCounter.hit(`login#${sourceIp}`, now, 60);
  if (attempts > deps.loginAttemptsPerMinute) {
    throw new RateLimitedError('too many login attempts from this address; wait a minute', 60 - (now % 60));
  }
}

// Unknown identifiers get a lock counter of their own: the same reads and writes as a real
// account (no timing difference to probe), and guessing identifiers is throttled too.
const lockKeyOf = (account: Account | undefined, identifier: string) =>
  account?.accountId ?? `unknown-${hashSecret(identifier)}`;

const auditLogin = (account: Account | undefined, outcome: AuditOutcome, context: LoginContext, deps: LoginDeps) =>
  deps.audit({
    actor: { kind: account?.type ?? 'anonymous', id: account?.accountId ?? 'unknown' },
    action: 'identity.login',
    resource: account ? `account/${account.accountId}` : 'account/unknown',
    outcome,
    requestId: context.requestId,
    sourceIp: context.sourceIp,
  });
