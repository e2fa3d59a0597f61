// Events the conductor writes into the ingest log: the journey's own (`Journey Entered`,
// `Journey Step Completed`, `Journey Exited`), trait changes from `setTrait` steps (as an
// identify), and the outbox's decisions (`Message Sent`, `Message Deferred`, `Message
// Dropped`, `Message Failed`). Message ids are derived from what happened, never random, so
// writing the same thing twice (a replay after a crash) is deduplicated by the log.
import type { LogEntry } from '../../store/index.ts';
import type { EmitEventAction, SetTraitAction } from '../journey/actions.ts';
import type { PersonFacts } from './person.ts';

export const CONDUCTOR_SOURCE = 'rapport:conductor';

function envelope(person: Pick<PersonFacts, 'identity' | 'profileId'>) {
  return {
    ...(person.identity ?? { anonymousId: `profile:${person.profileId}` }),
    context: { rapport: { profileId: person.profileId, internal: true } },
  };
}

export function trackEntry(
  person: Pick<PersonFacts, 'identity' | 'profileId'>,
  event: { name: string; messageId: string; timestamp: string; properties: Record<string, unknown> },
  receivedAt: string,
): LogEntry {
  const message = {
    type: 'track',
    messageId: event.messageId,
    event: event.name,
    properties: event.properties,
    timestamp: event.timestamp,
    receivedAt,
    ...envelope(person),
  };
  return { messageId: event.messageId, source: CONDUCTOR_SOURCE, receivedAt, json: JSON.stringify(message) };
}

export function emittedEntry(person: PersonFacts, action: EmitEventAction, receivedAt: string): LogEntry {
  return trackEntry(person, action.event, receivedAt);
}

export function traitEntry(person: PersonFacts, action: SetTraitAction, now: string): LogEntry {
  const messageId = `journey-trait:${action.idempotencyKey}`;
  const message = {
    type: 'identify',
    messageId,
    traits: { [action.trait]: action.value },
    timestamp: now,
    receivedAt: now,
    ...envelope(person),
  };
  return { messageId, source: CONDUCTOR_SOURCE, receivedAt: now, json: JSON.stringify(message) };
}
