// The journeys the runner works with: the active ones (for entry triggers), read from the store
// and kept for a moment, and every saved version (immutable once saved, so kept for good):
// an instance finishes on the version it entered under.
import type { ConductorStore, StoredJourney } from '../../store/index.ts';
import type { JourneyDefinition } from '../journey/definition.ts';

export interface ActiveJourney {
  stored: StoredJourney;
  definition: JourneyDefinition;
}

export class JourneyCatalog {
  private versions = new Map<string, JourneyDefinition>();
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

  async version(journeyId: string, version: number): Promise<JourneyDefinition | undefined> {
    const key = `${journeyId}\u0000${version}`;
    const known = this.versions.get(key);
    if (known) return known;
    const definition = (await this.store.getJourneyVersion(journeyId, version)) as
      | JourneyDefinition
      | undefined;
    if (definition) this.versions.set(key, definition);
    return definition;
  }
}
