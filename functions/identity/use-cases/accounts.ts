import { randomUUID } from 'node:crypto';
import { ConflictError, RateLimitedError, ValidationError } from '../../../shared/errors.ts';
import type { Account } from '../model.ts';
import { hashPassword, verifyPassword } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';

/** Self-registrations one source address may make per minute before 429. */
export const REGISTRATIONS_PER_MINUTE = 10;

export type NewAccount =
  | { type: 'citizen'; idNumber: string; name: string; phone: string; password: string }
  | { type: 'enterprise'; creditCode: string; name: string; operatorIdNumber: string; password: string };

export type RegistrationDeps = Pick<
  IdentityDeps,
  'accounts' | 'rateCounter' | 'audit' | 'hashPassword' | 'passwordCost' | 'verifyPassword' | 'now'
>;

/**
 * How long after an account was created a registration with the same body is recognised as a retry of
 * the one that made it: a client retrying after a timeout or a 503 whose first attempt was written.
 */
export const REGISTRATION_RETRY_SECONDS = 10 * 60;

/**
 * Self-registration of a citizen or an enterprise; answers the new account's id. The account is
 * written first and `identity.account.create` audited as a success only once it is; should the
 * audit event not be queued, the account is deleted again and the caller gets the 503 (a change
 * whose event cannot be kept is not made). A taken identifier is 409, as the API promises; for a
 * retry of the registration that took it (same type, identifier, name, phone or operator, and
 * password, within REGISTRATION_RETRY_SECONDS) the 409 says so and carries the account's id.
 */
export async function registerAccount(
  input: NewAccount,
  deps: RegistrationDeps,
  request: { requestId: string; sourceIp?: string },
): Promise<string> {
  await limitRegistrations(request.sourceIp, deps);
  const identifier = loginName(input);
  if (containsIdentifier(input.password, identifier)) {
    throw new ValidationError('the password must not contain the identifier', [
      { path: 'body.password', message: 'must not contain the identifier' },
    ]);
  }
  const existing = await deps.accounts.accountByIdentifier(identifier);
  if (existing) return sameRegistrationOrConflict(existing, input, deps);
  const account = await accountRecord(input, identifier, deps);
  if ((await deps.accounts.createAccount(account)) === 'exists') {
    // A parallel request took the identifier between the read and the write: the same rule applies.
    const taken = await deps.accounts.accountByIdentifier(identifier);
    if (!taken) throw accountExists(); // the account id itself was taken: no such thing for a random uuid
    return sameRegistrationOrConflict(taken, input, deps);
  }
  try {
    await deps.audit({
      actor: { kind: 'anonymous', id: 'self-registration' },
      action: 'identity.account.create',
      resource: `account/${account.accountId}`,
      outcome: 'success',
      requestId: request.requestId,
    });
  } catch (error) {
    await deps.accounts.deleteAccount(account).catch(() => undefined); // the 503 below is the answer either way
    throw error;
  }
  return account.accountId;
}

/** Always 409; for a retry of the registration that made the account, one that names the account. */
async function sameRegistrationOrConflict(
  existing: Account,
  input: NewAccount,
  deps: RegistrationDeps,
): Promise<never> {
  const createdAt = Date.parse(existing.createdAt) / 1000;
  const recent = nowSeconds(deps) - createdAt <= REGISTRATION_RETRY_SECONDS;
  const sameFields =
    existing.type === input.type &&
    existing.name === input.name &&
    (input.type === 'citizen' ? existing.phone === input.phone : existing.operatorIdNumber === input.operatorIdNumber);
  // The password last: scrypt's cost is paid only for a recent account whose other fields all match.
  if (recent && sameFields && (await (deps.verifyPassword ?? verifyPassword)(input.password, existing.passwordHash))) {
    throw alreadyRegistered(existing.accountId);
  }
  throw accountExists();
}

// Counted before anything else, so refused registrations count too.
async function limitRegistrations(sourceIp: string | undefined, deps: RegistrationDeps) {
  const registrations = await deps.rateCounter.hit(`register#${sourceIp ?? 'unknown'}`, nowSeconds(deps), 60);
  if (registrations > REGISTRATIONS_PER_MINUTE) {
    throw new RateLimitedError('too many registrations from this address; wait a minute', 60);
  }
}

/** The idNumber of a citizen or the creditCode of an enterprise, upper-cased. */
const loginName = (input: NewAccount) => (input.type === 'citizen' ? input.idNumber : input.creditCode).toUpperCase();

const containsIdentifier = (password: string, identifier: string) =>
  password.toUpperCase().includes(identifier.toUpperCase()) || password === identifier;

const accountExists = () => new ConflictError('an account with this identifier exists');

/** The 409 of a retried registration: the account exists because this registration made it. */
export const alreadyRegistered = (accountId: string) => {
  const error = new ConflictError(
    'this registration was already made (the account exists with these details): sign in with it',
  );
  error.extensions.accountId = accountId;
  return error;
};

async function accountRecord(input: NewAccount, identifier: string, deps: RegistrationDeps): Promise<Account> {
  return {
    accountId: `acc-${randomUUID()}`,
    type: input.type,
    identifier,
    name: input.name,
    ...(input.type === 'citizen' ? { phone: input.phone } : { operatorIdNumber: input.operatorIdNumber }),
    passwordHash: await (deps.hashPassword ?? ((value: string) => hashPassword(value, deps.passwordCost)))(
      input.password,
    ),
    createdAt: new Date(nowSeconds(deps) * 1000).toISOString(),
  };
}
