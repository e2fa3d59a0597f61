// Pure profile rules: how one message changes a profile, and how two profiles become one.
// Every rule here is order-independent (latest timestamp wins, ties broken by messageId;
// counts add up; first/last seen are min/max) so replaying the same messages in any order
// yields the same profiles.
import type { SegmentMessage } from '../events/index.ts';
import type { GroupMembership, ProfileRow, TraitValue } from '../store/index.ts';
import { CONSENT_TRAIT, mergeConsent } from './consent.ts';

export function newProfile(profileId: string, createdAt: string, seenAt: string): ProfileRow {
  return {
    profileId,
    createdAt,
    firstSeen: seenAt,
    lastSeen: seenAt,
    eventCount: 0,
    traits: {},
    groups: {},
    consent: {},
    mergedInto: null,
  };
}

/** True when (at, messageId) of a is later than b's: the total order that makes merges commute. */
function isLater(a: { at: string; messageId: string }, b: { at: string; messageId: string }): boolean {
  const byTime = compareInstants(a.at, b.at);
  return byTime === 0 ? a.messageId > b.messageId : byTime > 0;
}

/** Below zero when a is earlier, zero when the same instant, above zero when later. */
function compareInstants(a: string, b: string): number {
  // Ingest writes every timestamp as toISOString does (src/events, formatIsoUtc), where the
  // text's order is the instants' order: four Date.parse calls a message were 5% of the
  // profiles step (docs/performance.md, "Ingest"). Any other form is parsed.
  if (isCanonicalIso(a) && isCanonicalIso(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Date.parse(a) - Date.parse(b);
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, checked by its fixed punctuation (the digits came from a formatter). */
function isCanonicalIso(text: string): boolean {
  return (
    // A message without a time reaches here (its store refuses it later, and the quarantine
    // counts that as the content's fault, not a bug's): undefined is no canonical instant.
    typeof text === 'string' &&
    text.length === 24 &&
    text.charCodeAt(23) === 90 && // Z
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58 &&
    text.charCodeAt(19) === 46
  );
}

function earlier(a: string, b: string): string {
  return compareInstants(a, b) <= 0 ? a : b;
}

function later(a: string, b: string): string {
  return compareInstants(a, b) >= 0 ? a : b;
}

/** Traits an identify carries: top-level `traits`, or analytics.js's `context.traits`. */
export function traitsOf(message: SegmentMessage): Record<string, unknown> | undefined {
  if (message.traits && typeof message.traits === 'object') return message.traits;
  const contextTraits = message.context?.traits;
  if (contextTraits && typeof contextTraits === 'object' && !Array.isArray(contextTraits)) {
    return contextTraits as Record<string, unknown>;
  }
  return undefined;
}

/**
 * A record's own entry under any name: `constructor`, `toString` or `__proto__` are trait names
 * like any other, never what a plain object inherits (which made them look already set, and
 * `__proto__` an assignment of the prototype).
 */
function ownEntry<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function setOwnEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function setTrait(profile: ProfileRow, key: string, candidate: TraitValue): void {
  const current = ownEntry(profile.traits, key);
  if (!current || isLater({ at: candidate.at, messageId: candidate.messageId }, current)) {
    setOwnEntry(profile.traits, key, candidate);
  }
}

function setGroup(profile: ProfileRow, candidate: GroupMembership & { messageId: string }): void {
  const current = ownEntry(profile.groups, candidate.groupId) as
    | (GroupMembership & { messageId?: string })
    | undefined;
  if (!current || isLater(candidate, { at: current.at, messageId: current.messageId ?? '' })) {
    setOwnEntry(profile.groups, candidate.groupId, candidate);
  }
}

/** Applies one accepted message to the profile it resolved to. */
export function applyMessage(profile: ProfileRow, message: SegmentMessage, source: string): void {
  profile.eventCount += 1;
  profile.firstSeen = earlier(profile.firstSeen, message.timestamp);
  profile.lastSeen = later(profile.lastSeen, message.timestamp);
  if (message.type === 'identify') {
    for (const [key, value] of Object.entries(traitsOf(message) ?? {})) {
      // Consent decisions are kept with their history, not as a trait (see consent.ts).
      if (key === CONSENT_TRAIT && message.traits?.[CONSENT_TRAIT] !== undefined) continue;
      setTrait(profile, key, { value, at: message.timestamp, source, messageId: message.messageId });
    }
  }
  if (message.type === 'group' && message.groupId) {
    const traits = message.traits && typeof message.traits === 'object' ? message.traits : {};
    setGroup(profile, {
      groupId: message.groupId,
      traits,
      at: message.timestamp,
      messageId: message.messageId,
    });
  }
}

/** Folds the loser into the winner; the loser keeps its row, pointing at the winner. */
export function mergeProfiles(winner: ProfileRow, loser: ProfileRow): void {
  for (const [key, trait] of Object.entries(loser.traits)) setTrait(winner, key, trait);
  for (const group of Object.values(loser.groups)) {
    setGroup(winner, { ...group, messageId: (group as { messageId?: string }).messageId ?? '' });
  }
  mergeConsent(winner, loser);
  winner.eventCount += loser.eventCount;
  winner.firstSeen = earlier(winner.firstSeen, loser.firstSeen);
  winner.lastSeen = later(winner.lastSeen, loser.lastSeen);
  loser.mergedInto = winner.profileId;
  loser.eventCount = 0;
  loser.traits = {};
  loser.groups = {};
}

/** A profile's traits as plain values, for API responses and templates. */
export function traitValues(profile: ProfileRow): Record<string, unknown> {
  return Object.fromEntries(Object.entries(profile.traits).map(([key, trait]) => [key, trait.value]));
}
