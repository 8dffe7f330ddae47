import type { HttpRequest } from '../../shared/http.ts';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors.ts';
import { TRIAGE_DEPARTMENT } from './catalogue.ts';
import type { Actor } from './model.ts';

type Claims = Record<string, unknown>;

/** The access token's claims, as the HTTP API's JWT authorizer verified them. */
export function claimsOf(request: HttpRequest<unknown, unknown, unknown>): Claims {
  const context = request.raw.requestContext as { authorizer?: { jwt?: { claims?: Claims } } };
  const claims = context.authorizer?.jwt?.claims;
  if (!claims || typeof claims.sub !== 'string' || typeof claims.client_id !== 'string')
    throw new UnauthorizedError('the request carries no verified access token');
  return claims;
}

const scopesOf = (claims: Claims) => String(claims.scope ?? '').split(' ');

/**
 * A department client (or a department's staff through its work-queue client) acts for its
 * `department`; a token of a client itself (sub = client_id) is a channel; any other is a citizen's.
 */
export function actorOf(claims: Claims): Actor {
  const clientId = String(claims.client_id);
  const department = typeof claims.department === 'string' ? claims.department : undefined;
  if (department || claims.sub === clientId)
    return { kind: 'client', id: clientId, clientId, ...(department ? { department } : {}) };
  return { kind: 'citizen', id: String(claims.sub), clientId };
}

/** Filing: a citizen's own token, or a channel client (scope tickets:file, or the call centre). */
export function filerOf(claims: Claims): Actor {
  const actor = actorOf(claims);
  if (actor.kind === 'citizen') return actor;
  if (scopesOf(claims).includes('tickets:file') || actor.department === TRIAGE_DEPARTMENT) return actor;
  throw new ForbiddenError('a client files tickets with the scope tickets:file');
}

/** Department actions need the scope tickets:act; a citizen's close and reopen do not. */
export function requireActScope(claims: Claims, action: string): void {
  if (['close', 'reopen'].includes(action)) return;
  if (!scopesOf(claims).includes('tickets:act')) throw new ForbiddenError(`${action} needs the scope tickets:act`);
}
