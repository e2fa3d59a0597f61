// The contract between the outbox (the conductor's runtime) and the channels. The outbox has
// already checked consent, suppression and caps when it calls `deliver`; a channel never sends
// on its own initiative.

export interface OutgoingMessage {
  /** Stable across retries of one send: it names the message (Message-ID, task id, webhook key). */
  idempotencyKey: string;
  profileId: string;
  /** 'email' | 'webhook' | 'sms' | 'push' | 'task' */
  channel: string;
  journeyId?: string;
  stepId?: string;
  templateId?: string;
  /**
   * What the person (or, for a task, staff) reads, already rendered by the outbox. A channel
   * delivers it as it is and never renders it again: a trait holding `{{ … }}` is text.
   */
  content: { subject?: string; text?: string; html?: string; url?: string };
  /** Where it goes: { email } for email, { url } for a webhook, { queue } for a task. */
  to: Record<string, unknown>;
  offerId?: string;
}

export interface DeliveryResult {
  status: 'sent' | 'failed' | 'retry';
  providerMessageId?: string;
  error?: string;
  /** With `retry`: the earliest time worth trying again. */
  retryAfterMs?: number;
}

export interface Channel {
  name: string;
  /** The consent purpose a send on this channel needs: 'email' | 'sms' | … */
  purpose: string;
  deliver(message: OutgoingMessage): Promise<DeliveryResult>;
  /** How it is configured, for the Settings page: never a password, key or full provider URL. */
  describe?(): ChannelDescription;
}

/** A channel's configuration as an operator may see it (GET /api/channels). */
export interface ChannelDescription {
  /** `sandbox`: an email channel that keeps each message to be read in Rapport and sends nothing. */
  transport: 'smtp' | 'webhook' | 'task' | 'sandbox';
  /** SMTP relay or a fixed webhook destination: the host only (a URL may carry a key). */
  host?: string;
  port?: number;
  /** smtps:// (TLS from the first byte); smtp:// may still upgrade with STARTTLS. */
  secure?: boolean;
  /** The relay takes a user name and password (not shown). */
  authenticated?: boolean;
  from?: string;
  /** Where a send goes: `to.email`, `to.url` per message, or the provider's fixed URL. */
  destination: string;
}

export interface ChannelRegistry {
  get(name: string): Channel | undefined;
  names(): string[];
}

export class MapChannelRegistry implements ChannelRegistry {
  private readonly channels = new Map<string, Channel>();

  constructor(channels: Iterable<Channel> = []) {
    for (const channel of channels) this.add(channel);
  }

  add(channel: Channel): this {
    this.channels.set(channel.name, channel);
    return this;
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  names(): string[] {
    return [...this.channels.keys()];
  }
}
