import { alipayAdapter } from './alipay.ts';
import type { ChannelAdapter, ChannelConfig } from './adapter.ts';
import { genericAdapter } from './generic.ts';

/** Reads a channel's configuration (its secret); undefined for a channel nobody created. */
export type ChannelSecrets = (channel: string) => Promise<ChannelConfig | undefined>;

export const CHANNEL_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

export const ADAPTERS: Record<ChannelConfig['adapter'], ChannelAdapter<never>> = {
  generic: genericAdapter,
  alipay: alipayAdapter,
};

export const adapterOf = (config: ChannelConfig): ChannelAdapter<ChannelConfig> =>
  ADAPTERS[config.adapter] as unknown as ChannelAdapter<ChannelConfig>;
