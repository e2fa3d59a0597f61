// Reads the evidence a set of claims needs: every live profile, and for each condition the profiles
// that satisfy it. Traits come from the state store, personas from the `persona` computed
// property, events from the `events` table (SQL written once: DuckDB and PostgreSQL share
// `->>`, extract(epoch) and $n parameters). Events stored under a profile that was merged away
// count for the profile it ended in.
import { isCustomer } from '../profiles/index.ts';
import type { ComputedProperty, ProfileRow, ProfileSearch } from '../store/index.ts';
import { type Condition, conditionKey, type EventRef, type Evidence } from './model.ts';

export interface EvidenceSources {
  events: { query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> };
  state: {
    searchProfiles(search: ProfileSearch): Promise<ProfileRow[]>;
    computedPropertiesOf(profileIds: string[]): Promise<ComputedProperty[]>;
  };
  /** Merged-away profile → the profile it ended in. */
  profileMap(): Promise<Map<string, string>>;
}

/** A claim names something the data has never seen: the field and what is missing. */
export class UnknownNameError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const PAGE = 5000;

/** Every live customer: Rapport's own profiles are not customers. */
async function liveProfiles(state: EvidenceSources['state']): Promise<ProfileRow[]> {
  const all: ProfileRow[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await state.searchProfiles({ limit: PAGE, ...(afterId ? { afterId } : {}) });
    all.push(...page.filter(isCustomer));
    if (page.length < PAGE) return all;
    afterId = page.at(-1)!.profileId;
  }
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The WHERE clause for an event reference; values go in as parameters after `offset`. */
function eventFilter(ref: EventRef, offset: number): { sql: string; params: unknown[] } {
  if (ref.property === undefined) return { sql: `name = $${offset + 1}`, params: [ref.event] };
  return {
    sql: `name = $${offset + 1} AND (properties->>${literal(ref.property)}) = $${offset + 2}`,
    params: [ref.event, ref.value ?? ''],
  };
}

function traitHolds(value: unknown, condition: Extract<Condition, { kind: 'trait' }>): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (condition.op === 'is_set') return true;
  const expected = condition.value;
  if (condition.op === 'equals' || condition.op === 'not_equals') {
    const same = String(value).toLowerCase() === String(expected ?? '').toLowerCase();
    return condition.op === 'equals' ? same : !same;
  }
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number) || expected === undefined) return false;
  return condition.op === 'at_least' ? number >= Number(expected) : number <= Number(expected);
}

export class EvidenceReader {
  constructor(private readonly sources: EvidenceSources) {}

  /** Every event name the warehouse has seen. */
  async knownEvents(): Promise<Set<string>> {
    const rows = await this.sources.events.query("SELECT DISTINCT name FROM events WHERE type = 'track'");
    return new Set(rows.map((row) => String(row.name)));
  }

  /** What the pickers offer: every event name, and the traits of the first profiles. */
  async vocabulary(): Promise<{ events: string[]; traits: string[] }> {
    const events = [...(await this.knownEvents())].sort();
    const sample = await this.sources.state.searchProfiles({ limit: PAGE });
    const traits = [...new Set(sample.flatMap((p) => Object.keys(p.traits)))].sort();
    return { events, traits };
  }

  /** Refuses a condition that names an event nobody has sent or a trait no profile has. */
  async check(conditions: readonly Condition[], profiles?: readonly ProfileRow[]): Promise<void> {
    const events = await this.knownEvents();
    const people = profiles ?? (await liveProfiles(this.sources.state));
    const traits = new Set(people.flatMap((p) => Object.keys(p.traits)));
    for (const condition of conditions) {
      const refs =
        condition.kind === 'event'
          ? [condition]
          : condition.kind === 'followed_by'
            ? [condition.first, condition.next]
            : [];
      for (const ref of refs) {
        if (!events.has(ref.event))
          throw new UnknownNameError('event', `no "${ref.event}" event has been received yet`);
      }
      if (condition.kind === 'trait' && !traits.has(condition.trait))
        throw new UnknownNameError('trait', `no person has a "${condition.trait}" trait`);
    }
  }

  async read(conditions: readonly Condition[]): Promise<Evidence> {
    const profiles = await liveProfiles(this.sources.state);
    await this.check(conditions, profiles);
    const owner = await this.owners();
    const satisfying = new Map<string, ReadonlySet<string>>();
    for (const condition of conditions) {
      const key = conditionKey(condition);
      if (satisfying.has(key)) continue;
      satisfying.set(key, await this.satisfying(condition, profiles, owner));
    }
    return { everyone: new Set(profiles.map((p) => p.profileId)), satisfying };
  }

  private async owners(): Promise<(id: string) => string> {
    const map = await this.sources.profileMap();
    return (id) => map.get(id) ?? id;
  }

  private async satisfying(
    condition: Condition,
    profiles: readonly ProfileRow[],
    owner: (id: string) => string,
  ): Promise<Set<string>> {
    switch (condition.kind) {
      case 'trait':
        return new Set(
          profiles
            .filter((p) => traitHolds(p.traits[condition.trait]?.value, condition))
            .map((p) => p.profileId),
        );
      case 'persona':
        return this.withPersona(condition.persona, profiles);
      case 'event':
        return this.withEvent(condition, condition.minCount ?? 1, owner);
      case 'followed_by':
        return this.followedBy(condition, owner);
    }
  }

  private async withPersona(persona: string, profiles: readonly ProfileRow[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < profiles.length; i += PAGE) {
      const ids = profiles.slice(i, i + PAGE).map((p) => p.profileId);
      for (const row of await this.sources.state.computedPropertiesOf(ids))
        if (row.name === 'persona' && String(row.value) === persona) found.add(row.profileId);
    }
    return found;
  }

  private async withEvent(
    ref: EventRef,
    minCount: number,
    owner: (id: string) => string,
  ): Promise<Set<string>> {
    const filter = eventFilter(ref, 0);
    const rows = await this.sources.events.query(
      `SELECT profile_id, count(*) AS n FROM events WHERE type = 'track' AND ${filter.sql} GROUP BY profile_id`,
      filter.params,
    );
    const counts = new Map<string, number>();
    for (const row of rows) {
      const id = owner(String(row.profile_id));
      counts.set(id, (counts.get(id) ?? 0) + Number(row.n));
    }
    return new Set([...counts].filter(([, n]) => n >= minCount).map(([id]) => id));
  }

  /** The people whose first `first` was followed by a `next` within the window. */
  private async followedBy(
    condition: Extract<Condition, { kind: 'followed_by' }>,
    owner: (id: string) => string,
  ): Promise<Set<string>> {
    const first = eventFilter(condition.first, 0);
    const next = eventFilter(condition.next, first.params.length);
    const rows = await this.sources.events.query(
      `SELECT profile_id, CASE WHEN ${first.sql} THEN 1 ELSE 0 END AS is_first,
          CASE WHEN ${next.sql} THEN 1 ELSE 0 END AS is_next, extract(epoch FROM timestamp) AS at
        FROM events WHERE type = 'track' AND ((${first.sql}) OR (${next.sql}))`,
      [...first.params, ...next.params],
    );
    const firstAt = new Map<string, number>();
    for (const row of rows) {
      if (Number(row.is_first) !== 1) continue;
      const id = owner(String(row.profile_id));
      firstAt.set(id, Math.min(firstAt.get(id) ?? Number.POSITIVE_INFINITY, Number(row.at)));
    }
    const window = condition.withinDays * 86_400;
    const found = new Set<string>();
    for (const row of rows) {
      if (Number(row.is_next) !== 1) continue;
      const id = owner(String(row.profile_id));
      const start = firstAt.get(id);
      const at = Number(row.at);
      if (start !== undefined && at > start && at - start <= window) found.add(id);
    }
    return found;
  }
}
