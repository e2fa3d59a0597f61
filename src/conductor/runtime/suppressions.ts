// Delivery events that close a channel for a person. The channels capability appends them to
// the log (docs/channels.md); the journey processor records them in channel_suppressions,
// which arbitration reads: an unsubscribe stops marketing on that channel, a hard bounce or a
// complaint stops everything on it.
import type { ChannelSuppressionRow } from '../../store/index.ts';
import type { JourneyEvent } from '../journey/filters.ts';

export const UNSUBSCRIBED_EVENTS = new Set(['Message Unsubscribed', 'Email Unsubscribed', 'Unsubscribed']);
export const BOUNCED_EVENTS = new Set(['Message Bounced', 'Email Bounced']);
export const COMPLAINED_EVENTS = new Set(['Message Complained', 'Email Marked as Spam']);

export function suppressionFromEvent(
  profileId: string,
  event: JourneyEvent,
  now: string,
): ChannelSuppressionRow | undefined {
  const raw = event.properties.channel;
  const channel =
    typeof raw === 'string' && raw !== '' ? raw : event.name.startsWith('Email') ? 'email' : 'all';
  if (UNSUBSCRIBED_EVENTS.has(event.name))
    return { profileId, channel, scope: 'marketing', reason: 'unsubscribed', at: now };
  if (BOUNCED_EVENTS.has(event.name) && event.properties.bounceType !== 'soft')
    return { profileId, channel, scope: 'all', reason: 'hard bounce', at: now };
  if (COMPLAINED_EVENTS.has(event.name))
    return { profileId, channel, scope: 'all', reason: 'complaint', at: now };
  return undefined;
}
