// The people to cluster: every live profile, with behaviour read in one aggregate over the
// `events` table (SQL written once for DuckDB and PostgreSQL: both have FILTER, extract(epoch)
// and the `~` regex guard) and chosen numeric traits from the state store. Events stored under a
// profile that was later merged away count for the survivor.
import { isCustomer } from '../profiles/index.ts';
import type { ProfileRow, ProfileSearch } from '../store/index.ts';
import { BEHAVIOUR_FEATURES, type FeatureSpec, type People } from './model.ts';

export interface PeopleSources {
  events: { query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> };
  state: { searchProfiles(search: ProfileSearch): Promise<ProfileRow[]> };
  /** Merged-away profile → the profile it ended in. */
  profileMap(): Promise<Map<string, string>>;
}

const NUMBER = `'^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'`;
const REVENUE = `CASE WHEN (properties->>'revenue') ~ ${NUMBER} THEN CAST(properties->>'revenue' AS DOUBLE PRECISION) END`;

export const BEHAVIOUR_SQL = `SELECT profile_id,
    count(*) FILTER (WHERE type = 'track' AND name = 'Order Completed') AS orders,
    coalesce(sum(${REVENUE}) FILTER (WHERE type = 'track' AND name = 'Order Completed'), 0) AS revenue,
    count(*) FILTER (WHERE type = 'page' OR (type = 'track' AND name = 'Product Viewed')) AS views,
    count(*) FILTER (WHERE type = 'track' AND name IN ('Email Opened', 'Email Link Clicked')) AS email_engagement,
    count(DISTINCT floor(extract(epoch FROM timestamp) / 86400)) AS active_days
  FROM events GROUP BY profile_id`;

const BEHAVIOUR_COLUMNS = ['orders', 'revenue', 'views', 'email_engagement', 'active_days'] as const;

/** A trait's value as a number: numbers, numeric text and booleans; anything else is missing. */
function traitNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

export class UnknownTraitError extends Error {
  constructor(readonly traits: string[]) {
    super(`no person has a numeric value for ${traits.map((t) => `"${t}"`).join(', ')}`);
  }
}

async function liveProfiles(state: PeopleSources['state']): Promise<ProfileRow[]> {
  const all: ProfileRow[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await state.searchProfiles({ limit: 5000, ...(afterId ? { afterId } : {}) });
    all.push(...page.filter(isCustomer));
    if (page.length < 5000) return all;
    afterId = page.at(-1)!.profileId;
  }
}

/**
 * Every live profile with the behaviour features, then each named trait (missing: the
 * population's mean, so a person without the trait sits in the middle of it). A trait nobody
 * has as a number is refused.
 */
export async function readPeople(
  sources: PeopleSources,
  traits: readonly string[],
  now: Date,
): Promise<People> {
  const profiles = await liveProfiles(sources.state);
  const map = await sources.profileMap();
  const behaviour = new Map<string, number[]>();
  for (const row of await sources.events.query(BEHAVIOUR_SQL)) {
    const id = String(row.profile_id);
    const owner = map.get(id) ?? id;
    const sums = behaviour.get(owner) ?? BEHAVIOUR_COLUMNS.map(() => 0);
    BEHAVIOUR_COLUMNS.forEach((column, j) => {
      sums[j]! += Number(row[column] ?? 0);
    });
    behaviour.set(owner, sums);
  }
  const traitValues = traits.map((trait) => profiles.map((p) => traitNumber(p.traits[trait]?.value)));
  const unknown = traits.filter((_, t) => traitValues[t]!.every((v) => v === undefined));
  if (unknown.length > 0) throw new UnknownTraitError(unknown);
  const traitMeans = traitValues.map((values) => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.reduce((s, v) => s + v, 0) / known.length;
  });
  const rows = profiles.map((profile, i) => {
    const recency = Math.max(0, (now.getTime() - Date.parse(profile.lastSeen)) / 86_400_000);
    const counts = behaviour.get(profile.profileId) ?? BEHAVIOUR_COLUMNS.map(() => 0);
    return [recency, ...counts, ...traitValues.map((values, t) => values[i] ?? traitMeans[t]!)];
  });
  const features: FeatureSpec[] = [
    ...BEHAVIOUR_FEATURES,
    ...traits.map((trait) => ({ name: `trait:${trait}`, label: trait, log: false })),
  ];
  return { ids: profiles.map((p) => p.profileId), features, rows };
}
