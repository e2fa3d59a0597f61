// What decide needs to know about a person, kept in memory so the render path rarely touches
// the store: traits, consent for personalization, and impressions per offer in the current
// period. A miss costs an identity lookup and a profile read; a hit costs nothing. Entries older
// than `freshMs` are served once more while a background reload replaces them (a trait change
// shows within seconds), and the map is bounded (oldest entries dropped first).
import type { PlacementPerson } from '../conductor/index.ts';
import { survivorOf } from '../profiles/index.ts';
import type { StateStore } from '../store/index.ts';

export interface PersonKey {
  userId?: string | undefined;
  anonymousId?: string | undefined;
}

interface Entry {
  person: PlacementPerson | undefined;
  loadedAt: number;
  loading: Promise<void> | undefined;
  /** Impressions per offer id in `period`. */
  impressions: Map<string, number>;
  period: string;
}

export interface PersonCacheOptions {
  freshMs?: number;
  maxEntries?: number;
}

export class PersonCache {
  private readonly entries = new Map<string, Entry>();
  private readonly freshMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly state: StateStore,
    options: PersonCacheOptions = {},
  ) {
    this.freshMs = options.freshMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 200_000;
  }

  static keyOf(key: PersonKey): string | undefined {
    if (key.userId) return `u:${key.userId}`;
    if (key.anonymousId) return `a:${key.anonymousId}`;
    return undefined;
  }

  /** The person and their impression counts; undefined person when no profile has this identifier. */
  async get(cacheKey: string, key: PersonKey, nowMs: number, period: string): Promise<Entry> {
    let entry = this.entries.get(cacheKey);
    if (!entry) {
      entry = { person: undefined, loadedAt: 0, loading: undefined, impressions: new Map(), period };
      this.remember(cacheKey, entry);
      await this.reload(entry, key, nowMs);
    } else if (nowMs - entry.loadedAt > this.freshMs && !entry.loading) {
      void this.reload(entry, key, nowMs);
    } else if (entry.loading && entry.loadedAt === 0) {
      await entry.loading;
    }
    if (entry.period !== period) {
      entry.period = period;
      entry.impressions.clear();
    }
    return entry;
  }

  /** Forget a person (their profile changed in a way that must show at once, e.g. consent withdrawn here). */
  invalidate(key: PersonKey): void {
    const cacheKey = PersonCache.keyOf(key);
    if (cacheKey) this.entries.delete(cacheKey);
  }

  /** Forget every entry keyed by one of these identifiers (an erased person). */
  forgetIdentities(identities: readonly { kind: string; value: string }[]): void {
    for (const { kind, value } of identities) {
      if (kind === 'user_id') this.invalidate({ userId: value });
      else if (kind === 'anonymous_id') this.invalidate({ anonymousId: value });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(cacheKey: string, entry: Entry): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(cacheKey, entry);
  }

  private reload(entry: Entry, key: PersonKey, nowMs: number): Promise<void> {
    entry.loading = this.load(key).then(
      (person) => {
        entry.person = person;
        entry.loadedAt = nowMs;
        entry.loading = undefined;
      },
      () => {
        // Keep what we had; the next request past freshMs tries again.
        entry.loadedAt = nowMs;
        entry.loading = undefined;
      },
    );
    return entry.loading;
  }

  private async load(key: PersonKey): Promise<PlacementPerson | undefined> {
    const identity = key.userId
      ? { kind: 'user_id', value: key.userId }
      : { kind: 'anonymous_id', value: key.anonymousId ?? '' };
    const [found] = await this.state.findIdentities([identity]);
    if (!found) return undefined;
    return this.byProfileId(found.profileId);
  }

  /** The person as decide sees them, read from the store (not cached): for the admin preview. */
  async byProfileId(profileId: string): Promise<PlacementPerson | undefined> {
    const profile = await survivorOf(this.state, profileId);
    if (!profile) return undefined;
    const traits: Record<string, unknown> = {};
    for (const [name, trait] of Object.entries(profile.traits)) traits[name] = trait.value;
    const timeZone = typeof traits.timeZone === 'string' ? traits.timeZone : undefined;
    return {
      profile: { profileId: profile.profileId, traits, timeZone },
      personalization: profile.consent.personalization?.state ?? 'unknown',
    };
  }
}
