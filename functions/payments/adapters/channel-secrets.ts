import type { ChannelConfig } from '../channels/adapter.ts';
import type { ChannelSecrets } from '../channels/directory.ts';
import type { SecretReader } from './secrets.ts';

/** A channel's secret, as `dgov channels create` writes it; anything else is no channel. */
export const channelSecrets =
  (read: SecretReader): ChannelSecrets =>
  async (channel) => {
    const value = await read(channel);
    if (!value) return undefined;
    if (value.adapter === 'generic' && typeof value.secret === 'string' && value.secret.length >= 32)
      return { channel, adapter: 'generic', secret: value.secret };
    if (
      value.adapter === 'alipay' &&
      typeof value.appId === 'string' &&
      typeof value.appPrivateKey === 'string' &&
      typeof value.alipayPublicKey === 'string'
    )
      return {
        channel,
        adapter: 'alipay',
        appId: value.appId,
        appPrivateKey: value.appPrivateKey,
        alipayPublicKey: value.alipayPublicKey,
      } satisfies ChannelConfig;
    return undefined;
  };
