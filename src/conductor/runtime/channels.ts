// The delivery contract the outbox calls is the channels capability's (`src/channels/`): the
// conductor takes it from that door. The registry may also answer "send via best channel"
// (ChannelRuntime does, from the person's delivery events); a registry that cannot — tests
// that register an in-process channel — falls back to the conductor's own estimate with no
// history, that is the designer's order among the consented channels.
import type { ChannelRegistry as DeliveryRegistry } from '../../channels/index.ts';
import { type Channel as DeliveryChannel, MapChannelRegistry } from '../../channels/index.ts';
import type { Channel as ChannelName } from '../journey/definition.ts';

export type { Channel, DeliveryResult, OutgoingMessage } from '../../channels/index.ts';

export interface ChannelRegistry extends DeliveryRegistry {
  /** The best of the consented channels for this person, with a sentence saying why. */
  bestChannelFor?(
    profileId: string,
    consented: readonly ChannelName[],
  ): Promise<{ channel: ChannelName; explanation: string } | undefined>;
}

export function channelRegistry(channels: readonly DeliveryChannel[]): ChannelRegistry {
  return new MapChannelRegistry(channels);
}
