// The journeys the runner works with: the active ones (for entry triggers), read from the store
// and kept for a moment, and every saved version (immutable once saved, so kept for good):
// an instance finishes on the version it entered under.
import type { ConductorStore, StoredJourney } from '../../store/index.ts';
import type { JourneyDefinition } from '../journey/definition.ts';
import { awaitedEventNames } from '../journey/event-names.ts';

export interface ActiveJourney {
  stored: StoredJourney;
  definition: JourneyDefinition;
}

export class JourneyCatalog {
  private versions = new Map<string, JourneyDefinition>();
  /** Per saved version (the same key as `versions`): the event names its trips await. */
  private awaitedByVersion = new Map<string, readonly string[]>();
  private activeList: ActiveJourney[] | undefined;
  private loadedAt = 0;

  constructor(
    private readonly store: ConductorStore,
    /** Other processes may change journeys (PostgreSQL): how long a read of the list is trusted. */
    private readonly ttlMs = 1000,
  ) {}

  invalidate(): void {
    this.activeList = undefined;
  }

  async active(): Promise<ActiveJourney[]> {
    if (!this.activeList || Date.now() - this.loadedAt > this.ttlMs) {
      const all = await this.store.listJourneys();
      this.activeList = all
        .filter((journey) => journey.status === 'active')
        .map((stored) => ({ stored, definition: stored.definition as JourneyDefinition }));
      this.loadedAt = Date.now();
    }
    return this.activeList;
  }

  /**
   * The event names a trip under way in any saved version of any journey awaits (goals,
   * waits). The list of versions is read from the store at each call, not kept: a trip may run
   * on a version another process saved a moment ago.
   */
  async awaitedEventNames(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const { journeyId, version } of await this.store.listVersionKeys()) {
      const key = versionKey(journeyId, version);
      let awaited = this.awaitedByVersion.get(key);
      if (!awaited) {
        const definition = await this.version(journeyId, version);
        if (!definition) continue;
        awaited = awaitedEventNames(definition);
        this.awaitedByVersion.set(key, awaited);
      }
      for (const name of awaited) names.add(name);
    }
    return names;
  }

  async version(journeyId: string, version: number): Promise<JourneyDefinition | undefined> {
    const key = versionKey(journeyId, version);
    const known = this.versions.get(key);
    if (known) return known;
    const definition = (await this.store.getJourneyVersion(journeyId, version)) as
      | JourneyDefinition
      | undefined;
    if (definition) this.versions.set(key, definition);
    return definition;
  }
}

function versionKey(journeyId: string, version: number): string {
  return `${journeyId}\u0000${version}`;
}
