import { readFile } from 'node:fs/promises';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { itemByCode } from '../items.ts';
import type { Order } from '../model.ts';
import type { ReceiptIssuer } from '../ports.ts';
import { secretReader } from './secrets.ts';

/** The licence type of the electronic payment receipt (财政电子票据), issued by dept-finance. */
export const RECEIPT_TYPE = 'payment-receipt';
export const RECEIPT_SCOPE = 'licences:issue';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** A licences answer that retrying will not change (a 4xx other than 401/429): the message goes to the DLQ. */
export class ReceiptRefusedError extends Error {
  override name = 'ReceiptRefusedError';
}

/**
 * `file:<path.json>#<client id>` (the embedded runtime's .local/demo-clients.json) or
 * `secretsmanager:<name>` whose value is `{ "client_id", "client_secret" }`.
 */
export function receiptCredentials(
  reference: string,
  secretsManager: () => Pick<SecretsManagerClient, 'send'>,
): () => Promise<ClientCredentials> {
  if (reference.startsWith('file:')) {
    const [path, clientId] = reference.slice('file:'.length).split('#') as [string, string | undefined];
    return async () => {
      const all = JSON.parse(await readFile(path, 'utf8')) as Record<
        string,
        { client_id?: string; client_secret?: string }
      >;
      const entry = clientId ? all[clientId] : (all as { client_id?: string; client_secret?: string });
      if (!entry?.client_id || !entry.client_secret)
        throw new Error(`no credentials of ${clientId ?? 'the client'} in ${path}`);
      return { clientId: entry.client_id, clientSecret: entry.client_secret };
    };
  }
  const name = reference.slice('secretsmanager:'.length);
  const read = secretReader('secretsmanager:', secretsManager);
  return async () => {
    const value = await read(name);
    if (typeof value?.client_id !== 'string' || typeof value.client_secret !== 'string')
      throw new Error(`secret ${name} holds no client_id and client_secret`);
    return { clientId: value.client_id, clientSecret: value.client_secret };
  };
}

/**
 * What POST /licences is asked for an order: the same order always gives the same request. `data`
 * follows the licences catalogue's `payment-receipt` schema (strict: these fields and no others).
 */
export const receiptRequest = (order: Order) => ({
  type: RECEIPT_TYPE,
  holder: { kind: order.payer.kind, id: order.payer.id },
  matterId: order.orderId,
  data: {
    orderId: order.orderId,
    paymentCode: order.paymentCode,
    itemCode: order.itemCode,
    itemName: itemByCode(order.itemCode)?.name ?? order.itemCode,
    payerName: order.payer.name,
    amountFen: order.amountFen,
    currency: order.currency,
    channel: order.paid!.channel,
    channelTxnId: order.paid!.channelTxnId,
    paidAt: order.paid!.paidAt,
  },
});

/**
 * The ReceiptIssuer over HTTP: a client-credentials token of the receipt client (department
 * dept-finance, scope licences:issue), then POST /licences with matterId = orderId, which
 * licences answers with the same licence however often it is asked.
 */
export const RECEIPT_CALL_TIMEOUT_MS = 12_000;

export function httpReceiptIssuer(options: {
  apiUrl: string;
  credentials: () => Promise<ClientCredentials>;
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => number;
}): ReceiptIssuer {
  const http = options.fetch ?? fetch;
  const base = options.apiUrl.replace(/\/$/, '');
  // A cold licences sandbox (SM2 tables, KMS) can take seconds; the token and the issue calls must
  // both fit in the consumer's 30 s timeout (infra/capabilities/payments/data.ts), so 12 s each.
  const timeout = () => AbortSignal.timeout(options.timeoutMs ?? RECEIPT_CALL_TIMEOUT_MS);
  const now = options.now ?? Date.now;
  let token: { value: string; until: number } | undefined;

  const accessToken = async (): Promise<string> => {
    if (token && token.until > now()) return token.value;
    const { clientId, clientSecret } = await options.credentials();
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const response = await http(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: RECEIPT_SCOPE }).toString(),
      signal: timeout(),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!response.ok || !body.access_token) throw new Error(`the token endpoint answered ${response.status}`);
    token = { value: body.access_token, until: now() + Math.max(0, (body.expires_in ?? 60) - 60) * 1000 };
    return token.value;
  };

  const post = async (order: Order, bearer: string) =>
    http(`${base}/licences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(receiptRequest(order)),
      signal: timeout(),
    });

  return {
    async issue(order) {
      let response = await post(order, await accessToken());
      if (response.status === 401) {
        token = undefined; // expired or revoked: one fresh token
        response = await post(order, await accessToken());
      }
      const body = (await response.json().catch(() => ({}))) as { licenceId?: string; detail?: string };
      if ((response.status === 200 || response.status === 201) && typeof body.licenceId === 'string')
        return { receiptId: body.licenceId };
      const message = `POST /licences answered ${response.status}${body.detail ? `: ${body.detail}` : ''}`;
      if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 429)
        throw new ReceiptRefusedError(message);
      throw new Error(message);
    },
  };
}
