// The delivery contract the outbox calls. The channels capability (`src/channels/`) implements
// it; until its door lands this is a local copy of the agreed shape, and any object with
// these methods can be registered (tests register an in-process channel that records).
export interface OutgoingMessage {
  idempotencyKey: string;
  profileId: string;
  /** 'email' | 'webhook' | 'sms' | 'push' | 'task' */
  channel: string;
  journeyId?: string;
  stepId?: string;
  templateId?: string;
  template?: { subject?: string; html?: string; text?: string; body?: unknown };
  /** e.g. { email } or { url } */
  to: Record<string, unknown>;
  variables: Record<string, unknown>;
  offerId?: string;
}

export interface DeliveryResult {
  status: 'sent' | 'failed' | 'retry';
  providerMessageId?: string;
  error?: string;
  retryAfterMs?: number;
}

export interface Channel {
  name: string;
  /** The consent purpose this channel needs: 'email' | 'sms' | … */
  purpose: string;
  deliver(message: OutgoingMessage): Promise<DeliveryResult>;
}

export interface ChannelRegistry {
  get(name: string): Channel | undefined;
  names(): string[];
}

export function channelRegistry(channels: readonly Channel[]): ChannelRegistry {
  const byName = new Map(channels.map((channel) => [channel.name, channel]));
  return { get: (name) => byName.get(name), names: () => [...byName.keys()] };
}
