// Reads the evidence a set of claims needs: every live profile, and for each condition the profiles
// that satisfy it. Traits come from the state store, personas from the `persona` computed
// property, events from the `events` table (SQL written once: DuckDB and PostgreSQL share
// `->>`, extract(epoch) and $n parameters). Events stored under a profile that was merged away
// count for the profile it ended in.

import { CHANNEL_OF_EVENT, ENGAGED_EVENTS, SEND_OF_EVENT, SENT_EVENTS } from '../channels/index.ts';
import { isCustomer } from '../profiles/index.ts';
import type { ComputedProperty, ProfileRow, ProfileSearch } from '../store/index.ts';
import {
  type Condition,
  conditionKey,
  type EventRef,
  type Evidence,
  measureKey,
  type PersonFigures,
  type RivalClaim,
} from './model.ts';

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
const names = (list: readonly string[]) => list.map(literal).join(', ');

const NUMBER = `'^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'`;
/** Revenue per person: Order Completed's `revenue` where it is a number (SQL for both engines). */
const REVENUE_SQL = `SELECT profile_id, sum(CASE WHEN (properties->>'revenue') ~ ${NUMBER}
    THEN CAST(properties->>'revenue' AS DOUBLE PRECISION) ELSE 0 END) AS revenue
  FROM events WHERE type = 'track' AND name = 'Order Completed' GROUP BY profile_id`;

/** Per person and channel: distinct sends and engaged sends (the best-channel counting of channels/). */
const CHANNEL_COUNTS_SQL = `SELECT profile_id, channel, count(DISTINCT send) AS sent,
    count(DISTINCT CASE WHEN name IN (${names(ENGAGED_EVENTS)}) THEN send END) AS engaged
  FROM (SELECT profile_id, ${CHANNEL_OF_EVENT} AS channel, ${SEND_OF_EVENT} AS send, name
        FROM events WHERE type = 'track' AND name IN (${names([...SENT_EVENTS, ...ENGAGED_EVENTS])})) e
  WHERE channel IS NOT NULL GROUP BY profile_id, channel`;

const ENGAGEMENTS_SQL = `SELECT profile_id, channel, engaged_at FROM (
    SELECT profile_id, ${CHANNEL_OF_EVENT} AS channel, extract(epoch FROM timestamp) AS engaged_at
    FROM events WHERE type = 'track' AND name IN (${names(ENGAGED_EVENTS)})) e
  WHERE channel IS NOT NULL`;

const CONVERSION_WINDOW_S = 7 * 86_400;

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

  /** The evidence of these conditions, and the per-person figures of these rival claims. */
  async read(conditions: readonly Condition[], rivals: readonly RivalClaim[] = []): Promise<Evidence> {
    const profiles = await liveProfiles(this.sources.state);
    await this.check(
      [
        ...conditions,
        ...rivals.flatMap((c) =>
          c.kind === 'preferred_channel' && c.conversion ? [{ kind: 'event' as const, ...c.conversion }] : [],
        ),
      ],
      profiles,
    );
    const owner = await this.owners();
    const satisfying = new Map<string, ReadonlySet<string>>();
    for (const condition of conditions) {
      const key = conditionKey(condition);
      if (satisfying.has(key)) continue;
      satisfying.set(key, await this.satisfying(condition, profiles, owner));
    }
    const figures = new Map<string, PersonFigures>();
    for (const claim of rivals) {
      const key = measureKey(claim);
      if (figures.has(key)) continue;
      figures.set(
        key,
        claim.kind === 'most_valuable_persona'
          ? await this.revenueByPersona(profiles, owner)
          : claim.by === 'engagement'
            ? await this.engagementByChannel(owner)
            : await this.conversionByChannel(claim.conversion ?? { event: 'Order Completed' }, owner),
      );
    }
    return { everyone: new Set(profiles.map((p) => p.profileId)), satisfying, figures };
  }

  /** Per person with a persona: their persona → their revenue (Order Completed's `revenue`, 0 if none). */
  private async revenueByPersona(
    profiles: readonly ProfileRow[],
    owner: (id: string) => string,
  ): Promise<PersonFigures> {
    const personaOf = new Map<string, string>();
    for (let i = 0; i < profiles.length; i += PAGE) {
      const ids = profiles.slice(i, i + PAGE).map((p) => p.profileId);
      for (const row of await this.sources.state.computedPropertiesOf(ids))
        if (row.name === 'persona' && row.value !== null) personaOf.set(row.profileId, String(row.value));
    }
    const rows = await this.sources.events.query(REVENUE_SQL);
    const revenue = new Map<string, number>();
    for (const row of rows) {
      const id = owner(String(row.profile_id));
      revenue.set(id, (revenue.get(id) ?? 0) + Number(row.revenue));
    }
    return new Map([...personaOf].map(([id, persona]) => [id, new Map([[persona, revenue.get(id) ?? 0]])]));
  }

  /** Per person and channel they were reached on: the share of those sends they engaged with. */
  private async engagementByChannel(owner: (id: string) => string): Promise<PersonFigures> {
    const counts = await this.channelCounts(owner);
    return new Map(
      [...counts].map(([id, channels]) => [
        id,
        new Map([...channels].map(([channel, c]) => [channel, c.engaged / c.sent])),
      ]),
    );
  }

  /**
   * Per person and channel they were reached on: 1 if they converted within 7 days after engaging
   * with a send on that channel, else 0.
   */
  private async conversionByChannel(
    conversion: EventRef,
    owner: (id: string) => string,
  ): Promise<PersonFigures> {
    const counts = await this.channelCounts(owner);
    const filter = eventFilter(conversion, 0);
    const conversions = new Map<string, number[]>();
    for (const row of await this.sources.events.query(
      `SELECT profile_id, extract(epoch FROM timestamp) AS at FROM events WHERE type = 'track' AND ${filter.sql}`,
      filter.params,
    )) {
      const id = owner(String(row.profile_id));
      const list = conversions.get(id);
      if (list) list.push(Number(row.at));
      else conversions.set(id, [Number(row.at)]);
    }
    const converted = new Set<string>();
    for (const row of await this.sources.events.query(ENGAGEMENTS_SQL)) {
      const id = owner(String(row.profile_id));
      const at = Number(row.engaged_at);
      if (conversions.get(id)?.some((t) => t > at && t - at <= CONVERSION_WINDOW_S))
        converted.add(`${id}\u0001${row.channel}`);
    }
    return new Map(
      [...counts].map(([id, channels]) => [
        id,
        new Map(
          [...channels.keys()].map((channel) => [channel, converted.has(`${id}\u0001${channel}`) ? 1 : 0]),
        ),
      ]),
    );
  }

  private async channelCounts(
    owner: (id: string) => string,
  ): Promise<Map<string, Map<string, { sent: number; engaged: number }>>> {
    const counts = new Map<string, Map<string, { sent: number; engaged: number }>>();
    for (const row of await this.sources.events.query(CHANNEL_COUNTS_SQL)) {
      const id = owner(String(row.profile_id));
      const own = counts.get(id) ?? new Map<string, { sent: number; engaged: number }>();
      const c = own.get(String(row.channel)) ?? { sent: 0, engaged: 0 };
      c.sent += Number(row.sent);
      c.engaged += Number(row.engaged);
      own.set(String(row.channel), c);
      counts.set(id, own);
    }
    for (const own of counts.values()) for (const [channel, c] of own) if (c.sent === 0) own.delete(channel);
    return counts;
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
