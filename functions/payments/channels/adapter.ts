import type { Outcome, PaymentNotice } from '../model.ts';

/** A channel as configured by `dgov channels create`, read from its secret. */
export type ChannelConfig =
  | { channel: string; adapter: 'generic'; secret: string }
  | { channel: string; adapter: 'alipay'; appId: string; appPrivateKey: string; alipayPublicKey: string };

export interface CallbackRequest {
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The body exactly as it arrived: signatures are over these bytes. */
  body: Buffer;
}

export type Refusal = 'missing-signature' | 'bad-signature' | 'stale-timestamp';
export type Verification = { ok: true } | { ok: false; reason: Refusal };
/** `ignore`: a notification that changes nothing here (e.g. Alipay's WAIT_BUYER_PAY), acknowledged as is. */
export type Parsed =
  | { ok: true; notice: PaymentNotice | 'ignore' }
  | { ok: false; errors: { path: string; message: string }[] };

/**
 * What one payment channel's notifications look like: how to check they come from it, what they
 * say, and how it wants them acknowledged. The use case knows nothing else about channels.
 */
export interface ChannelAdapter<C extends ChannelConfig = ChannelConfig> {
  /** Media type the channel posts. */
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  /** Headers kept with the raw callback for audit. */
  signatureHeaders: readonly string[];
  verify(request: CallbackRequest, config: C, now: Date): Verification;
  parse(request: CallbackRequest): Parsed;
  /** The 200 answer the channel expects. */
  ack(outcome: Outcome): { contentType: string; body: string };
}
