// A segment recomputed from history in SQL, with the relations the compiler reads supplied
// from the state store: profile_map (merges) and profile_facts (consent, memberships, the
// lifecycle stage, computed properties). The state store may be another database than the
// event store (SQLite beside DuckDB), so both go into the query as VALUES lists bound as
// parameters, restricted to what the rule reads: the facts of the keys it names and the
// merged-away ids. The cost is one parameter per row (fine for thousands of merges or
// members of a referenced segment; a segment that refers to a million-member segment would
// want the relations mirrored into the event store instead). Internal events are left out,
// as the realtime processor skips them (internal.ts).
import type { SegmentStore, StateStore } from '../../store/index.ts';
import type { SegmentRule } from '../ast.ts';
import { factKey } from '../incremental/state.ts';
import { PRIMARY_FUNNEL_ID } from '../lifecycle.ts';
import { compileRuleToSql } from '../sql/compile.ts';
import type { SqlDialect } from '../sql/dialect.ts';
import { conditionsOf } from '../walk.ts';
import { INTERNAL_EVENTS } from './internal.ts';

export interface FactRow {
  profileId: string;
  key: string;
  value: unknown;
}

export interface RecomputeRelations {
  profileMap: Map<string, string>;
  facts: FactRow[];
}

export interface RecomputeQuery {
  text: string;
  params(now: Date): unknown[];
}

export function factKeysOf(rule: SegmentRule): string[] {
  const keys = conditionsOf(rule).flatMap(({ condition: c }) => {
    if (c.kind === 'consent') return [factKey.consent(c.purpose)];
    if (c.kind === 'in_segment') return [factKey.segment(c.segment)];
    if (c.kind === 'stage') return [factKey.stage()];
    if (c.kind === 'computed') return [factKey.computed(c.name)];
    return [];
  });
  return [...new Set(keys)];
}

export function recomputeQuery(
  rule: SegmentRule,
  dialect: SqlDialect,
  relations: RecomputeRelations,
): RecomputeQuery {
  const compiled = compileRuleToSql(rule, {
    dialect,
    events: 'customer_events',
    profileMap: 'profile_map',
    profileFacts: 'profile_facts',
  });
  const first = compiled.valuesAt(new Date(0)).length;
  const extra: unknown[] = [];
  const bind = (value: unknown, type: 'text' | 'json') => {
    extra.push(value);
    const index = first + extra.length;
    if (type === 'text') return dialect.param(index, 'text');
    return dialect.name === 'duckdb' ? `CAST($${index} AS JSON)` : `$${index}::jsonb`;
  };
  const internal = [...INTERNAL_EVENTS].map((name) => bind(name, 'text')).join(', ');
  const mapRows = [...relations.profileMap].map(
    ([from, to]) => `(${bind(from, 'text')}, ${bind(to, 'text')})`,
  );
  const factRows = relations.facts.map(
    (f) => `(${bind(f.profileId, 'text')}, ${bind(f.key, 'text')}, ${bind(JSON.stringify(f.value), 'json')})`,
  );
  const empty = (columns: string) => `SELECT ${columns} WHERE 1 = 0`;
  const nullText = dialect.name === 'duckdb' ? 'CAST(NULL AS VARCHAR)' : 'NULL::text';
  const nullJson = dialect.name === 'duckdb' ? 'CAST(NULL AS JSON)' : 'NULL::jsonb';
  const prefix = `WITH
customer_events AS (SELECT * FROM events WHERE NOT (type = 'track' AND name IN (${internal}))),
profile_map AS (${
    mapRows.length > 0
      ? `SELECT * FROM (VALUES ${mapRows.join(', ')}) AS t(profile_id, canonical_id)`
      : empty(`${nullText} AS profile_id, ${nullText} AS canonical_id`)
  }),
profile_facts AS (${
    factRows.length > 0
      ? `SELECT * FROM (VALUES ${factRows.join(', ')}) AS t(profile_id, key, value)`
      : empty(`${nullText} AS profile_id, ${nullText} AS key, ${nullJson} AS value`)
  }),
`;
  if (!compiled.text.startsWith('WITH\n')) throw new Error('compiled segment SQL does not start with WITH');
  const text = prefix + compiled.text.slice('WITH\n'.length);
  return { text, params: (now) => [...compiled.valuesAt(now), ...extra] };
}

/** The relations a rule needs, read from the state store now. */
export async function gatherRelations(
  rule: SegmentRule,
  sources: { store: SegmentStore; state: StateStore },
): Promise<RecomputeRelations> {
  const facts: FactRow[] = [];
  for (const key of factKeysOf(rule)) {
    const [kind, name = ''] = key.split(/:(.*)/s);
    if (kind === 'segment') {
      for (let after = ''; ; ) {
        const page = await sources.store.listMembers(name, { afterId: after, limit: 10_000 });
        for (const m of page) facts.push({ profileId: m.profileId, key, value: true });
        if (page.length < 10_000) break;
        after = (page.at(-1) as { profileId: string }).profileId;
      }
    } else if (kind === 'stage') {
      for (const s of await sources.store.allStages(PRIMARY_FUNNEL_ID))
        facts.push({ profileId: s.profileId, key, value: s.stage });
    } else if (kind === 'consent') {
      for (const state of ['granted', 'denied'] as const)
        for (const id of await sources.state.profilesByConsent(name, state))
          facts.push({ profileId: id, key, value: state });
    } else if (kind === 'computed') {
      facts.push(...(await computedFacts(sources.state, name, key)));
    }
  }
  return { profileMap: await sources.store.profileMap(), facts };
}

async function computedFacts(state: StateStore, name: string, key: string): Promise<FactRow[]> {
  const rows: FactRow[] = [];
  for (let after: string | undefined; ; ) {
    const page = await state.searchProfiles({ limit: 5000, ...(after ? { afterId: after } : {}) });
    const values = await state.computedPropertiesOf(page.map((p) => p.profileId));
    for (const v of values) if (v.name === name) rows.push({ profileId: v.profileId, key, value: v.value });
    if (page.length < 5000) break;
    after = page.at(-1)?.profileId;
  }
  return rows;
}
