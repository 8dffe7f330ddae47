import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  MalformedBodyError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../../shared/errors.ts';
import type { CallbackRequest, ChannelConfig } from '../channels/adapter.ts';
import { adapterOf, CHANNEL_ID, type ChannelSecrets } from '../channels/directory.ts';
import type { Outcome } from '../model.ts';
import type { PaymentsDeps } from '../ports.ts';
import { settleNotice } from './settle.ts';

export interface CallbackContext {
  requestId: string;
  sourceIp?: string;
}

export interface CallbackAnswer {
  statusCode: number;
  contentType: string;
  body: string;
}

const refusal = (reason: string) =>
  new UnauthorizedError(`the callback's signature was refused: ${reason}`, 'Signature realm="payment-channels"');

/**
 * POST /payments/callbacks/{channel}: verify with the channel's adapter, keep the delivery as it
 * arrived (before answering, whatever the answer), then settle the notice exactly once.
 */
export async function receiveCallback(
  channel: string,
  request: CallbackRequest,
  deps: PaymentsDeps & { channels: ChannelSecrets },
  context: CallbackContext,
): Promise<CallbackAnswer> {
  const config: ChannelConfig | undefined = CHANNEL_ID.test(channel) ? await deps.channels(channel) : undefined;
  const adapter = config && adapterOf(config);
  // async: a store that throws at once must reject, not escape past the settling already started.
  const keep = async (verdict: string) =>
    deps.store.recordCallback({
      callbackId: randomUUID(),
      channel: channel.slice(0, 64),
      receivedAt: deps.now().toISOString(),
      verdict,
      contentType: request.headers['content-type'],
      headers: Object.fromEntries(
        (adapter?.signatureHeaders ?? []).flatMap((name) =>
          request.headers[name] ? [[name, request.headers[name]!.slice(0, 512)]] : [],
        ),
      ),
      body: request.body.toString('utf8'),
      ...(context.sourceIp ? { sourceIp: context.sourceIp } : {}),
      requestId: context.requestId,
    });
  const refuse = async (verdict: string, error: Error) => {
    await keep(verdict);
    await deps.audit({
      actor: { kind: 'anonymous', id: context.sourceIp ?? 'unknown' },
      action: 'payments.callback.refuse',
      resource: `payment-channel/${channel.slice(0, 64)}`,
      outcome: 'denied',
      requestId: context.requestId,
      ...(context.sourceIp ? { sourceIp: context.sourceIp } : {}),
    });
    throw error;
  };

  if (!config || !adapter) return refuse('unknown-channel', new NotFoundError(`no payment channel ${channel}`));
  const verification = adapter.verify(request, config, deps.now());
  if (!verification.ok) return refuse(verification.reason, refusal(verification.reason));
  const parsed = adapter.parse(request);
  if (!parsed.ok)
    return refuse(
      'malformed',
      parsed.errors[0]?.message === 'not valid JSON'
        ? new MalformedBodyError('the body is not valid JSON')
        : new ValidationError('the notification is not valid', parsed.errors),
    );

  if (parsed.notice === 'ignore') {
    await keep('accepted');
    return answer(adapter.ack({ status: 200 }));
  }
  const notice = parsed.notice;
  // Kept while the notice is applied; both must have finished, either way, before the channel is answered.
  // Settling starts first: its read is the longer path, and the delivery's put is built while it is in flight.
  const settling = settleNotice(config.channel, notice, deps, { requestId: context.requestId, source: 'callback' });
  const [settled, kept] = await Promise.allSettled([settling, keep('accepted')]);
  if (kept.status === 'rejected') throw kept.reason;
  if (settled.status === 'rejected') throw settled.reason;
  const outcome = settled.value;
  return outcomeAnswer(outcome, adapter.ack(outcome));
}

const answer = (ack: { contentType: string; body: string }): CallbackAnswer => ({
  statusCode: 200,
  contentType: ack.contentType,
  body: ack.body,
});

function outcomeAnswer(outcome: Outcome, ack: { contentType: string; body: string }): CallbackAnswer {
  if (outcome.status === 404) throw new NotFoundError(`${outcome.detail}; the notification is flagged`);
  if (outcome.status === 409) throw new FlaggedConflict(`${outcome.detail}; the notification is flagged`, outcome);
  return answer(ack);
}

class FlaggedConflict extends ConflictError {
  constructor(detail: string, outcome: Outcome) {
    super(detail);
    this.extensions.flag = outcome.flag;
  }
}
