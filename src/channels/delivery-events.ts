// Delivery outcomes go back into the ingest log as track events, so segments, reports and the
// best-channel estimate see them like anything a person did. Names follow Segment's email spec
// where it has one (Email Delivered, Email Bounced, Email Opened, Email Link Clicked,
// Unsubscribed) and its promotion spec for placements (Promotion Viewed, Promotion Clicked).
// Message ids are derived from what happened (send key, link, outcome), so a retried send or a
// replayed request appends nothing twice: the log dedupes by messageId.
import { createHash } from 'node:crypto';
import { parsePayload } from '../events/index.ts';
import type { GroupCommitLog } from '../ingest/index.ts';
import { survivorOf } from '../profiles/index.ts';
import type { LogEntry, StateStore } from '../store/index.ts';

export const DELIVERY_SOURCE = 'rapport-channels';

export const DELIVERY_EVENTS = {
  emailSent: 'Email Sent',
  emailBounced: 'Email Bounced',
  emailOpened: 'Email Opened',
  emailClicked: 'Email Link Clicked',
  unsubscribed: 'Unsubscribed',
  webhookDelivered: 'Webhook Delivered',
  webhookFailed: 'Webhook Failed',
  taskCreated: 'Task Created',
  taskCompleted: 'Task Completed',
  promotionViewed: 'Promotion Viewed',
  promotionClicked: 'Promotion Clicked',
} as const;

/**
 * A send on any channel: the denominator of the engagement estimate. Rapport's own delivery
 * events, and the ones other senders report through the tracking API: Segment's email spec
 * (`Email Delivered`), its mobile spec (`Push Notification Received`), and `Message Sent` /
 * `Message Delivered` with a `channel` property for anything else (docs/channels.md).
 */
export const SENT_EVENTS: readonly string[] = [
  DELIVERY_EVENTS.emailSent,
  DELIVERY_EVENTS.webhookDelivered,
  'Email Delivered',
  'Push Notification Received',
  'Message Sent',
  'Message Delivered',
];
/**
 * An engagement with a send. Rapport's own carry `send_key`; SMS and push providers report theirs
 * through the tracking API as `Message Opened` / `Message Clicked` / `Message Replied` with
 * `channel` and `send_key` properties, or under Segment's spec names (docs/channels.md).
 */
export const ENGAGED_EVENTS: readonly string[] = [
  DELIVERY_EVENTS.emailOpened,
  DELIVERY_EVENTS.emailClicked,
  'Message Opened',
  'Message Clicked',
  'Message Replied',
  'Push Notification Tapped',
];

/** A deterministic messageId: the same happening always gets the same id. */
export function deliveryMessageId(kind: string, ...parts: string[]): string {
  return `rapport-${kind}-${createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 40)}`;
}

/** The identifier a message about this person goes out under, so identity resolution finds them. */
export type Address =
  | { userId: string }
  | { anonymousId: string; context?: { traits: Record<string, string> } };

export interface DeliveryEvent {
  profileId: string;
  event: string;
  messageId: string;
  properties: Record<string, unknown>;
  /** Segment consent categories to record with the event (an unsubscribe denies its purpose). */
  consent?: Record<string, 'granted' | 'denied'>;
  timestamp?: Date;
}

export class DeliveryEventLog {
  constructor(
    private readonly state: StateStore,
    private readonly log: GroupCommitLog,
  ) {}

  /** userId, else anonymousId, else an identifier trait under a stable anonymousId; undefined when erased or unknown. */
  async addressOf(profileId: string): Promise<Address | undefined> {
    const profile = await survivorOf(this.state, profileId);
    if (!profile) return undefined;
    const identities = await this.state.identitiesOfProfiles([profile.profileId]);
    const userId = identities.find((identity) => identity.kind === 'user_id');
    if (userId) return { userId: userId.value };
    const anonymousId = identities.find((identity) => identity.kind === 'anonymous_id');
    if (anonymousId) return { anonymousId: anonymousId.value };
    const other = identities[0];
    if (!other) return undefined;
    return {
      anonymousId: `rapport-${profile.profileId}`,
      context: { traits: { [other.kind]: other.value } },
    };
  }

  /** Appends the events (durably, before resolving); returns how many had a person to go to. */
  async append(events: DeliveryEvent[]): Promise<number> {
    const entries: LogEntry[] = [];
    for (const event of events) {
      const address = await this.addressOf(event.profileId);
      if (address) entries.push(this.entryOf(event, address));
    }
    if (entries.length > 0) await this.log.append(entries);
    return entries.length;
  }

  private entryOf(event: DeliveryEvent, address: Address): LogEntry {
    const receivedAt = new Date();
    const context: Record<string, unknown> = { ...('context' in address ? address.context : {}) };
    if (event.consent) context.consent = { categoryPreferences: event.consent };
    const message = {
      ...('userId' in address ? { userId: address.userId } : { anonymousId: address.anonymousId }),
      type: 'track',
      event: event.event,
      messageId: event.messageId,
      timestamp: (event.timestamp ?? receivedAt).toISOString(),
      properties: event.properties,
      context,
    };
    const parsed = parsePayload(message, 'track', { receivedAt });
    const accepted = parsed.accepted[0];
    if (!accepted) {
      const rejection = parsed.rejected[0];
      throw new Error(`delivery event ${event.event} is invalid: ${rejection?.field}: ${rejection?.reason}`);
    }
    return {
      messageId: event.messageId,
      source: DELIVERY_SOURCE,
      receivedAt: receivedAt.toISOString(),
      json: accepted.json,
    };
  }
}
