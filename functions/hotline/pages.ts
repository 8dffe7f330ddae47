import { createHash, type JsonWebKey, randomBytes } from 'node:crypto';
import { sameText as same } from '../../shared/constant-time.ts';
import * as z from 'zod/mini';
import { accessTokenVerifier, type AccessClaims } from '../../shared/auth/verifier.ts';
import { DomainError } from '../../shared/errors.ts';
import type { HttpRequest, HttpResult, RouteHandler } from '../../shared/http.ts';
import { API_AUDIENCE, defineRoute, type RouteContract } from '../../shared/route-contract.ts';
import { categoryOf, DEPARTMENTS } from './catalogue.ts';
import type { Ticket } from './model.ts';
import type { HotlinePorts } from './ports.ts';
import { SLA_STATES, slaStateOf, type SlaState } from './sla.ts';
import { actOnTicket } from './use-cases/actions.ts';
import type { TicketAction } from './workflow.ts';

/**
 * The department work-queue page: signed in through the province's SSO (authorization code + PKCE
 * with the department's public work-queue client, whose tokens carry its `department`), it lists the
 * department's tickets by SLA state with accept, transfer and resolve forms. No script: plain forms
 * with a double-submit anti-forgery token, and a CSP that allows no script at all.
 */
const tags = ['hotline'];
const html = { description: 'HTML page', contentType: 'text/html' };
const form = z.record(z.string(), z.string());
export const workQueueRoute = defineRoute({
  method: 'GET',
  path: '/hotline/workqueue',
  operationId: 'workQueuePage',
  summary: "A department's work queue (HTML), signed in through the province SSO",
  tags,
  auth: 'none',
  query: form,
  responses: { 200: html, 302: { description: 'To the SSO sign-in' } },
});
export const workQueueCallbackRoute = defineRoute({
  method: 'GET',
  path: '/hotline/workqueue/callback',
  operationId: 'workQueueCallback',
  summary: 'The redirect URI of the work-queue clients: redeems the code (PKCE)',
  tags,
  auth: 'none',
  query: form,
  responses: { 303: { description: 'Back to the work queue, signed in' } },
});
export const workQueueActionRoute = defineRoute({
  method: 'POST',
  path: '/hotline/workqueue/actions',
  operationId: 'workQueueAction',
  summary: 'A work-queue form: accept, transfer or resolve a ticket',
  tags,
  auth: 'none',
  body: form,
  bodyType: 'form',
  responses: { 303: { description: 'Back to the work queue' } },
});
export const workQueueRoutes = [workQueueRoute, workQueueCallbackRoute, workQueueActionRoute] as const;

const TOKEN = 'dgov_hq_at';
const LOGIN = 'dgov_hq_login';
const CSRF = 'dgov_hq_csrf';
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};
const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const readCookie = (request: HttpRequest<unknown, unknown, unknown>, name: string) =>
  (request.raw.cookies ?? request.headers.cookie?.split(';') ?? [])
    .map((item) => item.trim().split('='))
    .find(([key]) => key === name)?.[1];

export function workQueueHandlers(ports: HotlinePorts, issuerUrl: string) {
  const issuer = issuerUrl.replace(/\/$/, '');
  const secure = !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(issuer);
  const cookie = (name: string, value: string, maxAge: number) =>
    `${name}=${value}; Path=/hotline/workqueue; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
  const redirectUri = `${issuer}/hotline/workqueue/callback`;
  let keys: Promise<(JsonWebKey & { kid?: string })[]> | undefined;
  const verify = accessTokenVerifier({
    issuer,
    audience: API_AUDIENCE,
    keys: async (refresh) => {
      if (refresh || !keys)
        keys = fetch(`${issuer}/.well-known/jwks.json`, { signal: AbortSignal.timeout(3000) })
          .then((answer) => answer.json() as Promise<{ keys: (JsonWebKey & { kid?: string })[] }>)
          .then((set) => set.keys)
          .catch((error) => {
            keys = undefined;
            throw error;
          });
      return keys;
    },
  });
  const session = async (request: HttpRequest<unknown, unknown, unknown>): Promise<AccessClaims | undefined> => {
    const token = readCookie(request, TOKEN);
    if (!token) return undefined;
    const claims = await verify(token).catch(() => undefined);
    return claims?.department ? claims : undefined;
  };
  const page = (status: number, body: string, cookies?: string[]): HttpResult => ({
    statusCode: status,
    headers: PAGE_HEADERS,
    body: `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>12345 工单</title><style>body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem}.breached{background:#fdd}.reminded{background:#ffd}</style></head><body>${body}</body></html>`,
    ...(cookies ? { cookies } : {}),
  });
  const seeOther = (location: string, cookies?: string[]): HttpResult => ({
    statusCode: 303,
    headers: { location, 'cache-control': 'no-store' },
    body: '',
    ...(cookies ? { cookies } : {}),
  });

  const startLogin = (clientId: string): HttpResult => {
    const state = randomBytes(16).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = new URL(`${issuer}/oauth2/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid tickets:act',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(name, value);
    return {
      statusCode: 302,
      headers: { location: url.toString(), 'cache-control': 'no-store' },
      body: '',
      cookies: [cookie(LOGIN, `${state}.${verifier}.${clientId}`, 600)],
    };
  };

  const row = (ticket: Ticket, csrf: string) => {
    const id = escapeHtml(ticket.ticketId);
    const hidden = `<input type="hidden" name="ticketId" value="${id}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
    const options = DEPARTMENTS.filter((d) => d !== ticket.department)
      .map((d) => `<option>${d}</option>`)
      .join('');
    return `<tr class="${slaStateOf(ticket)}" data-ticket="${id}"><td>${id}</td><td>${escapeHtml(ticket.status)}</td><td>${escapeHtml(categoryOf(ticket.category)?.name ?? ticket.category)}</td><td>${escapeHtml(ticket.description.slice(0, 80))}</td><td>${escapeHtml(ticket.slaDueAt ?? '')}</td><td>
<form method="post" action="/hotline/workqueue/actions">${hidden}<input type="hidden" name="action" value="accept"><button name="go" value="accept">受理 accept</button></form>
<form method="post" action="/hotline/workqueue/actions">${hidden}<input type="hidden" name="action" value="transfer"><select name="department" aria-label="department">${options}</select><input name="reason" placeholder="reason" aria-label="transfer reason" required><button>转办 transfer</button></form>
<form method="post" action="/hotline/workqueue/actions">${hidden}<input type="hidden" name="action" value="resolve"><input name="reply" placeholder="reply" aria-label="reply" required><button>办结 resolve</button></form></td></tr>`;
  };

  const workQueue: RouteHandler<typeof workQueueRoute> = async (request) => {
    const claims = await session(request);
    if (!claims) {
      const clientId = request.query.client_id;
      if (!clientId || !/^[a-z0-9][a-z0-9._-]{1,63}$/.test(clientId))
        return page(
          400,
          "<h1>12345</h1><p>Open this page with <code>?client_id=</code> your department's work-queue client.</p>",
        );
      return startLogin(clientId);
    }
    const department = claims.department!;
    const tickets = await ports.tickets.byDepartment(department, {});
    const csrf = readCookie(request, CSRF) ?? randomBytes(16).toString('base64url');
    const message = request.query.message
      ? `<p role="status">${escapeHtml(request.query.message.slice(0, 200))}</p>`
      : '';
    const sections = SLA_STATES.map((state: SlaState) => {
      const mine = tickets.filter(
        (ticket) => slaStateOf(ticket) === state && !['RESOLVED', 'CLOSED', 'DUPLICATE'].includes(ticket.status),
      );
      return `<section id="${state}"><h2>${state} (${mine.length})</h2><table><tr><th>ticket</th><th>status</th><th>category</th><th>description</th><th>due</th><th>actions</th></tr>${mine.map((ticket) => row(ticket, csrf)).join('')}</table></section>`;
    }).join('');
    return page(200, `<h1>12345 工单 · ${escapeHtml(department)}</h1>${message}${sections}`, [
      cookie(CSRF, csrf, 3600),
    ]);
  };

  const callback: RouteHandler<typeof workQueueCallbackRoute> = async (request) => {
    const [state, verifier, clientId] = (readCookie(request, LOGIN) ?? '').split('.');
    if (
      !state ||
      !verifier ||
      !clientId ||
      !request.query.state ||
      !same(state, request.query.state) ||
      !request.query.code
    )
      return page(
        400,
        '<h1>Sign-in failed</h1><p>The sign-in did not start here, or it expired. <a href="/hotline/workqueue">Start again</a>.</p>',
      );
    const answer = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: request.query.code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }).toString(),
      signal: AbortSignal.timeout(5000),
    });
    const tokens = (await answer.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!answer.ok || !tokens.access_token)
      return page(401, '<h1>Sign-in failed</h1><p>The code was not accepted.</p>');
    const csrf = randomBytes(16).toString('base64url');
    return seeOther('/hotline/workqueue', [
      cookie(TOKEN, tokens.access_token, Math.min(tokens.expires_in ?? 900, 900)),
      cookie(CSRF, csrf, 3600),
      cookie(LOGIN, '', 0),
    ]);
  };

  const action: RouteHandler<typeof workQueueActionRoute> = async (request) => {
    const claims = await session(request);
    if (!claims) return seeOther('/hotline/workqueue');
    const fields = request.body as Record<string, string>;
    const csrf = readCookie(request, CSRF);
    if (!csrf || !fields.csrf || !same(csrf, fields.csrf))
      return page(403, '<h1>Refused</h1><p>The form is stale; reload the work queue.</p>');
    const actions: Record<string, () => TicketAction | undefined> = {
      accept: () => ({ action: 'accept' }),
      transfer: () =>
        fields.department && fields.reason?.trim()
          ? { action: 'transfer', department: fields.department, reason: fields.reason.slice(0, 500) }
          : undefined,
      resolve: () => (fields.reply?.trim() ? { action: 'resolve', reply: fields.reply.slice(0, 5000) } : undefined),
    };
    const chosen = actions[fields.action ?? '']?.();
    let message: string;
    if (!chosen || !/^\d{8}-[0-9a-z]{10}$/.test(fields.ticketId ?? '')) message = 'incomplete form';
    else {
      const actor = {
        kind: 'client' as const,
        id: claims.client_id,
        clientId: claims.client_id,
        department: claims.department!,
      };
      try {
        await actOnTicket(fields.ticketId!, chosen, actor, ports, { requestId: request.requestId });
        message = `${chosen.action}: ${fields.ticketId}`;
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        message = `${chosen.action} refused (${error.status}): ${error.detail}`;
      }
    }
    return seeOther(`/hotline/workqueue?message=${encodeURIComponent(message)}`);
  };

  const served: [RouteContract, RouteHandler<never>][] = [
    [workQueueRoute, workQueue],
    [workQueueCallbackRoute, callback],
    [workQueueActionRoute, action],
  ];
  return { served };
}
