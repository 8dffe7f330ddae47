import { AlipaySdk } from 'alipay-sdk';
import type { ChannelAdapter, ChannelConfig, Parsed } from './adapter.ts';

type AlipayConfig = Extract<ChannelConfig, { adapter: 'alipay' }>;

/** One verifier per channel configuration (the SDK formats its keys once). */
const sdks = new Map<string, { config: AlipayConfig; sdk: AlipaySdk }>();
function sdkFor(config: AlipayConfig): AlipaySdk {
  const known = sdks.get(config.channel);
  if (known?.config === config) return known.sdk;
  const sdk = new AlipaySdk({
    appId: config.appId,
    privateKey: config.appPrivateKey,
    alipayPublicKey: config.alipayPublicKey,
    keyType: 'PKCS8',
  });
  sdks.set(config.channel, { config, sdk });
  return sdk;
}

const form = (body: Buffer): Record<string, string> => Object.fromEntries(new URLSearchParams(body.toString('utf8')));

/** Alipay's amounts are yuan with at most two decimals ("88.88"): fen exactly, without floating point. */
export function yuanToFen(yuan: string): number | undefined {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(yuan);
  if (!match) return undefined;
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return fen > 0 ? fen : undefined;
}

/** gmt_payment is Beijing time, `yyyy-MM-dd HH:mm:ss`. */
const beijingTime = (value: string): string | undefined => {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(value);
  if (!match) return undefined;
  const time = new Date(`${match[1]}T${match[2]}+08:00`);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
};

/**
 * Alipay's asynchronous notification (异步通知): a form-encoded POST, RSA2-signed over the sorted
 * parameters without `sign` and `sign_type`, verified by the official SDK (checkNotifySignV2: the
 * values as received, not decoded twice). Answered with the plain text `success`; anything else
 * makes Alipay retry. `out_trade_no` is our payment code, `trade_no` Alipay's transaction id.
 */
export const alipayAdapter: ChannelAdapter<AlipayConfig> = {
  contentType: 'application/x-www-form-urlencoded',
  signatureHeaders: [],
  verify(request, config) {
    const params = form(request.body);
    if (!params.sign) return { ok: false, reason: 'missing-signature' };
    // RSA2 only: `sign_type=RSA` would have the SDK check a SHA-1 signature.
    if (params.sign_type !== 'RSA2') return { ok: false, reason: 'bad-signature' };
    if (params.app_id !== config.appId) return { ok: false, reason: 'bad-signature' };
    try {
      return sdkFor(config).checkNotifySignV2(params) ? { ok: true } : { ok: false, reason: 'bad-signature' };
    } catch {
      return { ok: false, reason: 'bad-signature' };
    }
  },
  parse(request): Parsed {
    const params = form(request.body);
    const errors: { path: string; message: string }[] = [];
    const need = (name: string, test: (value: string) => boolean, message: string) => {
      const value = params[name];
      if (value === undefined || !test(value)) errors.push({ path: `body.${name}`, message });
      return value ?? '';
    };
    const status = need(
      'trade_status',
      (value) => ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED'].includes(value),
      'one of WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED',
    );
    const tradeNo = need('trade_no', (value) => /^[A-Za-z0-9_-]{1,64}$/.test(value), 'an Alipay trade number');
    const paymentCode = need('out_trade_no', (value) => /^\d{20}$/.test(value), 'our 20-digit payment code');
    const amount = need('total_amount', (value) => yuanToFen(value) !== undefined, 'yuan with at most 2 decimals');
    const paidAt = params.gmt_payment ? beijingTime(params.gmt_payment) : undefined;
    if (params.gmt_payment !== undefined && paidAt === undefined)
      errors.push({ path: 'body.gmt_payment', message: 'yyyy-MM-dd HH:mm:ss' });
    if (errors.length > 0) return { ok: false, errors };
    if (status === 'WAIT_BUYER_PAY') return { ok: true, notice: 'ignore' };
    const notifyTime = beijingTime(params.notify_time ?? '');
    return {
      ok: true,
      notice: {
        channelTxnId: tradeNo,
        paymentCode,
        amountFen: yuanToFen(amount)!,
        currency: 'CNY',
        status: status === 'TRADE_CLOSED' ? 'FAILED' : 'SUCCESS',
        paidAt: paidAt ?? notifyTime ?? new Date().toISOString(),
      },
    };
  },
  ack: () => ({ contentType: 'text/plain; charset=utf-8', body: 'success' }),
};
