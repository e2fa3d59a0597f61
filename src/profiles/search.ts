// Listing and searching profiles (by identifier, trait values, last seen) and paging one
// person's event timeline. Both page with opaque cursors so a client never builds one.

import { RapportError } from '../errors/index.ts';
import { type IdentityConfig, identityKeysOf } from '../identity/index.ts';
import type { EventReader, ProfileRow, StateStore, StoredEvent } from '../store/index.ts';
import type { ProfileSummary } from './schema.ts';
import { mergedIdsOf, survivorOf } from './view.ts';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!check(value)) {
    throw new RapportError(
      'RAPPORT_API_BAD_REQUEST',
      'cursor: not a cursor this API gave out; start without one',
    );
  }
  return value;
}

export interface ProfileSearchRequest {
  /** A userId, anonymousId, email (any configured identifier), a profile id, or a name. */
  q?: string;
  traits?: Record<string, string>;
  lastSeenAfter?: string;
  lastSeenBefore?: string;
  cursor?: string;
  limit: number;
}

const TRAIT_NAME = /^[^"\\]{1,200}$/;

/** Live profile ids q names: as a profile id (or a merged one), or as any identifier kind. */
export async function profilesNamedBy(
  state: StateStore,
  identity: IdentityConfig,
  q: string,
): Promise<string[]> {
  const asTraits = Object.fromEntries(identity.identifierTraits.map((trait) => [trait, q]));
  const keys = identityKeysOf(
    {
      type: 'identify',
      messageId: '',
      timestamp: '',
      receivedAt: '',
      userId: q,
      anonymousId: q,
      traits: asTraits,
    },
    identity,
  );
  const ids = new Set((await state.findIdentities(keys)).map((row) => row.profileId));
  const direct = await survivorOf(state, q);
  if (direct) ids.add(direct.profileId);
  if (ids.size === 0) for (const id of await profilesWithName(state, q)) ids.add(id);
  return [...ids];
}

/** At most this many people share one name in a search's answer. */
const NAME_MATCHES = 1000;

/**
 * Profiles whose name traits read q: `name`, `first_name`, `last_name`, or "first last", as
 * typed or with each word capitalised ("ada lovelace" finds "Ada Lovelace").
 */
async function profilesWithName(state: StateStore, q: string): Promise<string[]> {
  const typed = q.trim().replace(/\s+/g, ' ');
  if (typed === '') return [];
  const capitalised = typed.replace(
    /(^|[\s-])(\p{L})/gu,
    (_, before, letter) => before + letter.toUpperCase(),
  );
  const ids = new Set<string>();
  for (const text of new Set([typed, capitalised])) {
    const words = text.split(' ');
    const candidates: Record<string, string>[] = [{ name: text }, { first_name: text }, { last_name: text }];
    if (words.length === 2)
      candidates.push({ first_name: words[0] as string, last_name: words[1] as string });
    for (const traits of candidates) {
      // Whoever has the name has a trait value containing its longest word: the search index
      // finds those few, so the name is compared on them rather than on every profile.
      const containing = Object.values(traits).reduce((a, b) => (b.length > a.length ? b : a));
      for (const row of await state.searchProfiles({ traits, containing, limit: NAME_MATCHES }))
        ids.add(row.profileId);
    }
  }
  return [...ids];
}

/**
 * A text every profile matching the trait filters holds in some trait value, for the search
 * index to narrow them by: the longest value asked for that reads as a string (a number or a
 * boolean is compared as JSON and may be written differently in the index's text).
 */
export function narrowingText(traits: Record<string, string> | undefined): string | undefined {
  const strings = Object.values(traits ?? {}).filter(
    (value) => value.length >= 3 && !/^(true|false|null)$/.test(value) && !Number.isFinite(Number(value)),
  );
  return strings.reduce<string | undefined>(
    (a, b) => (a === undefined || b.length > a.length ? b : a),
    undefined,
  );
}

export async function searchProfiles(
  state: StateStore,
  identity: IdentityConfig,
  request: ProfileSearchRequest,
): Promise<{ items: ProfileSummary[]; nextCursor: string | null }> {
  for (const name of Object.keys(request.traits ?? {})) {
    if (!TRAIT_NAME.test(name)) {
      throw new RapportError(
        'RAPPORT_API_BAD_REQUEST',
        `trait.${name}: a trait name may not contain " or \\`,
      );
    }
  }
  const afterId = request.cursor
    ? decodeCursor(request.cursor, (v): v is string => typeof v === 'string')
    : undefined;
  const containing = narrowingText(request.traits);
  const rows = await state.searchProfiles({
    ...(request.q !== undefined ? { profileIds: await profilesNamedBy(state, identity, request.q) } : {}),
    ...(request.traits ? { traits: request.traits } : {}),
    ...(containing !== undefined ? { containing } : {}),
    ...(request.lastSeenAfter ? { lastSeenAfter: request.lastSeenAfter } : {}),
    ...(request.lastSeenBefore ? { lastSeenBefore: request.lastSeenBefore } : {}),
    ...(afterId !== undefined ? { afterId } : {}),
    limit: request.limit + 1,
  });
  const page = rows.slice(0, request.limit);
  const identities = await state.identitiesOfProfiles(page.map((row) => row.profileId));
  const items = page.map((row) => summaryOf(row, identities));
  const last = page.at(-1);
  return { items, nextCursor: rows.length > request.limit && last ? encodeCursor(last.profileId) : null };
}

/** Rows as the API lists them: trait values and each person's identifiers. */
export async function summariesOf(state: StateStore, rows: ProfileRow[]): Promise<ProfileSummary[]> {
  const identities = await state.identitiesOfProfiles(rows.map((row) => row.profileId));
  return rows.map((row) => summaryOf(row, identities));
}

function summaryOf(
  row: ProfileRow,
  identities: { kind: string; value: string; profileId: string }[],
): ProfileSummary {
  return {
    profileId: row.profileId,
    firstSeen: row.firstSeen,
    lastSeen: row.lastSeen,
    eventCount: row.eventCount,
    traits: Object.fromEntries(Object.entries(row.traits).map(([key, trait]) => [key, trait.value])),
    identities: identities
      .filter((identity) => identity.profileId === row.profileId)
      .map(({ kind, value }) => ({ kind, value })),
  };
}

export interface TimelineRequest {
  name?: string;
  type?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

export interface TimelineEvent {
  seq: number;
  messageId: string;
  type: string;
  name: string | null;
  timestamp: string;
  receivedAt: string;
  properties: Record<string, unknown>;
  profileId: string;
}

type TimelineCursor = [string, number];
const isTimelineCursor = (v: unknown): v is TimelineCursor =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && Number.isInteger(v[1]);

/** Newest first, across every profile merged into this one; undefined for an unknown profile. */
export async function profileTimeline(
  state: StateStore,
  events: Pick<EventReader, 'eventsOf'>,
  profileId: string,
  request: TimelineRequest,
): Promise<{ profileId: string; items: TimelineEvent[]; nextCursor: string | null } | undefined> {
  const profile = await survivorOf(state, profileId);
  if (!profile) return undefined;
  const before = request.cursor ? decodeCursor(request.cursor, isTimelineCursor) : undefined;
  const found = await events.eventsOf({
    profileIds: [profile.profileId, ...(await mergedIdsOf(state, profile.profileId))],
    limit: request.limit + 1,
    ...(request.name ? { name: request.name } : {}),
    ...(request.type ? { type: request.type } : {}),
    ...(request.from ? { from: request.from } : {}),
    ...(request.to ? { to: request.to } : {}),
    ...(before ? { before: { timestamp: before[0], seq: before[1] } } : {}),
  });
  const page = found.slice(0, request.limit);
  const last = page.at(-1);
  return {
    profileId: profile.profileId,
    items: page.map(timelineEvent),
    nextCursor: found.length > request.limit && last ? encodeCursor([last.timestamp, last.seq]) : null,
  };
}

function timelineEvent(event: StoredEvent): TimelineEvent {
  const { seq, messageId, type, name, timestamp, receivedAt, properties, profileId } = event;
  return { seq, messageId, type, name, timestamp, receivedAt, properties, profileId };
}
