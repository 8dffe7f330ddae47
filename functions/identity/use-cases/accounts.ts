import { randomUUID } from 'node:crypto';
import { ConflictError, RateLimitedError, ValidationError } from '../../../shared/errors.ts';
import type { Account } from '../model.ts';
import { hashPassword } from '../passwords.ts';
import { nowSeconds, type IdentityDeps } from './deps.ts';

/** Self-registrations one source address may make per minute before 429. */
export const REGISTRATIONS_PER_MINUTE = 10;

export type NewAccount =
  | { type: 'citizen'; idNumber: string; name: string; phone: string; password: string }
  | { type: 'enterprise'; creditCode: string; name: string; operatorIdNumber: string; password: string };

export type RegistrationDeps = Pick<IdentityDeps, 'accounts' | 'rateCounter' | 'audit' | 'hashPassword' | 'now'>;

/** Self-registration of a citizen or an enterprise; answers the new account's id. */
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
  const account = await accountRecord(input, identifier, deps);
  if (await deps.accounts.accountByIdentifier(identifier)) throw accountExists();
  // Audit first: a change whose event cannot be queued must not happen.
  await deps.audit({
    actor: { kind: 'anonymous', id: 'self-registration' },
    action: 'identity.account.create',
    resource: `account/${account.accountId}`,
    outcome: 'success',
    requestId: request.requestId,
  });
  if ((await deps.accounts.createAccount(account)) === 'exists') throw accountExists();
  return account.accountId;
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

async function accountRecord(input: NewAccount, identifier: string, deps: RegistrationDeps): Promise<Account> {
  return {
    accountId: `acc-${randomUUID()}`,
    type: input.type,
    identifier,
    name: input.name,
    ...(input.type === 'citizen' ? { phone: input.phone } : { operatorIdNumber: input.operatorIdNumber }),
    passwordHash: await (deps.hashPassword ?? hashPassword)(input.password),
    createdAt: new Date(nowSeconds(deps) * 1000).toISOString(),
  };
}
