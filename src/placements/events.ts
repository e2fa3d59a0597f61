// The events a placement records (Promotion Viewed, Promotion Clicked, Survey Asked) as the log
// stores them. Built directly, not through the ingest API's parsePayload: these messages are
// made here from a handful of known fields, and /v1/decide records one per answer, so the
// generic normalisation (copying, shape walk, timestamp parsing) was a quarter of decide's own
// CPU. Anything the normalisation would change or refuse (an id over the event limit, a string
// it would repair) goes through parsePayload as before; a test checks the two give the same
// JSON for every input.
import { parsePayload, SEGMENT_LIMITS } from '../events/index.ts';
import type { PersonKey } from './people.ts';

export interface PlacementEvent {
  key: PersonKey;
  event: string;
  messageId: string;
  properties: Record<string, string>;
  receivedAt: Date;
}

// What parsePayload repairs in a string (U+0000, lone surrogates): such a string takes the
// slow path, which repairs it exactly as the ingest API would.
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what we look for
const NEEDS_REPAIR = /[\u0000\ud800-\udfff]/;

// A messageId's limit in the ingest API (events/fields.ts).
const MESSAGE_ID_CHARS = 100;

function plain(value: string, maxChars = SEGMENT_LIMITS.idChars): boolean {
  return value.length <= maxChars && !NEEDS_REPAIR.test(value);
}

function simple(input: PlacementEvent, id: string): boolean {
  if (!plain(id) || !plain(input.event)) return false;
  if (input.messageId === '' || !plain(input.messageId, MESSAGE_ID_CHARS)) return false;
  for (const name in input.properties) if (!plain(input.properties[name] as string)) return false;
  return true;
}

/** The message's JSON as the log keeps it; undefined when the ingest API would refuse it. */
export function placementEventJson(input: PlacementEvent): string | undefined {
  const { key } = input;
  const id = key.userId || key.anonymousId;
  if (!id) return undefined;
  if (!simple(input, id)) {
    const identity = key.userId ? { userId: key.userId } : { anonymousId: key.anonymousId };
    const message = { ...identity, type: 'track', event: input.event, messageId: input.messageId };
    const parsed = parsePayload({ ...message, properties: { ...input.properties } }, 'track', {
      receivedAt: input.receivedAt,
    });
    return parsed.accepted[0]?.json;
  }
  const at = input.receivedAt.toISOString();
  // The text JSON.stringify gives the message parsePayload leaves (its own keys in order, then
  // timestamp and receivedAt), put together from its strings: no object is built per view.
  const identity = key.userId ? `{"userId":${JSON.stringify(id)}` : `{"anonymousId":${JSON.stringify(id)}`;
  let properties = '';
  for (const name in input.properties) {
    properties += `${properties === '' ? '' : ','}${JSON.stringify(name)}:${JSON.stringify(input.properties[name])}`;
  }
  return (
    `${identity},"type":"track","event":${JSON.stringify(input.event)},"messageId":${JSON.stringify(input.messageId)},` +
    `"properties":{${properties}},"timestamp":"${at}","receivedAt":"${at}"}`
  );
}
