import { SEGMENT_LIMITS, type SegmentMessage } from '../events/index.ts';
import type { IdentityKey } from '../store/index.ts';

export interface IdentityConfig {
  /** How many identities of one kind a profile may hold; kinds not named are unlimited. */
  limits: Record<string, number>;
  /** Traits that identify a person (besides userId and anonymousId), e.g. email, phone. */
  identifierTraits: string[];
}

/** Segment Unify's defaults, narrowed: one userId and one email per profile. */
export const DEFAULT_IDENTITY_CONFIG: IdentityConfig = {
  limits: { user_id: 1, email: 1 },
  identifierTraits: ['email'],
};

export function keyString(key: IdentityKey): string {
  return `${key.kind}\u0001${key.value}`;
}

function identifierValue(kind: string, raw: unknown): string | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  // Addresses differ in case more often than people do.
  return kind === 'email' ? trimmed.toLowerCase() : trimmed;
}

function traitSources(message: SegmentMessage): Record<string, unknown>[] {
  const sources: Record<string, unknown>[] = [];
  if (message.type === 'identify' && message.traits && typeof message.traits === 'object') {
    sources.push(message.traits);
  }
  const contextTraits = message.context?.traits;
  if (contextTraits && typeof contextTraits === 'object' && !Array.isArray(contextTraits)) {
    sources.push(contextTraits as Record<string, unknown>);
  }
  return sources;
}

/**
 * The identifiers a message carries, strongest first: userId, alias's previousId, identifier
 * traits, anonymousId. The message belongs to the profile owning the first one that is known.
 * Runs several times for every message the pipeline applies: no closures, no throwaway arrays.
 */
export function identityKeysOf(message: SegmentMessage, config: IdentityConfig): IdentityKey[] {
  const keys: IdentityKey[] = [];
  addKey(keys, 'user_id', message.userId);
  if (config.identifierTraits.length > 0) {
    const sources = traitSources(message);
    for (const trait of config.identifierTraits) {
      for (const source of sources) {
        // The tracking API limits userId and anonymousId; an identifier trait (email) is a trait
        // there. A value this long identifies no one (an address is at most 254 characters) and
        // would overflow the identities index: it stays a plain trait.
        const raw = source[trait];
        if (typeof raw !== 'string' || raw.length <= SEGMENT_LIMITS.idChars) addKey(keys, trait, raw);
      }
    }
  }
  addKey(keys, 'anonymous_id', message.anonymousId);
  return keys;
}

function addKey(keys: IdentityKey[], kind: string, raw: unknown): void {
  const value = identifierValue(kind, raw);
  if (value === undefined) return;
  for (const key of keys) if (key.kind === kind && key.value === value) return;
  keys.push({ kind, value });
}

/** alias's previousId may be an old userId or an anonymousId: look it up as both. */
export function previousIdCandidates(message: SegmentMessage): IdentityKey[] {
  if (message.type !== 'alias') return [];
  const value = identifierValue('user_id', message.previousId);
  if (value === undefined) return [];
  return [
    { kind: 'user_id', value },
    { kind: 'anonymous_id', value },
  ];
}
