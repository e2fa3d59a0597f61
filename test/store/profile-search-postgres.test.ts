// The PostgreSQL trigram index behind the people explorer's "any trait value contains": pg_trgm
// (Debian's postgresql-15 contrib) is created by the migration, the index stands on the trait
// text, the explorer's query can use it (the plan names it once sequential scans are priced
// out, as they are on a large table), and writes to traits are what it finds.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresStateStore } from '../../src/store/postgres/index.ts';
import { quoteIdent } from '../../src/store/postgres/sql.ts';
import { numberedPlaceholders, profileListSql } from '../../src/store/profile-list-sql.ts';

const url = inject('postgresUrl');
const title = url ? 'the PostgreSQL profile search index' : `PostgreSQL (${inject('postgresSkipReason')})`;

describe.skipIf(!url)(title, () => {
  let admin: pg.Pool;
  let store: PostgresStateStore;
  const schema = `pgsearch_${randomBytes(6).toString('hex')}`;
  const profiles = `${quoteIdent(schema)}.profiles`;

  const insert = (id: string, traits: Record<string, unknown>) =>
    admin.query(
      `INSERT INTO ${profiles} (profile_id, created_at, first_seen, last_seen, event_count, traits, "groups")
       VALUES ($1, now(), now(), now(), 0, $2, '{}')`,
      [id, JSON.stringify(Object.fromEntries(Object.entries(traits).map(([k, value]) => [k, { value }])))],
    );
  const found = async (text: string) =>
    (
      await store.listProfiles({
        search: { text, ids: [] },
        order: { column: 'profile_id' },
        descending: false,
        offset: 0,
        limit: 50,
        withTotal: true,
      })
    ).rows.map((row) => row.profileId);

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    store = await PostgresStateStore.open(url as string, { schema });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.end();
  });

  it('has pg_trgm and a GIN trigram index on the trait text', async () => {
    const { rows } = await admin.query(
      'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2',
      [schema, 'profiles_by_trait_text'],
    );
    expect(rows[0]?.indexdef).toMatch(/USING gin \(.*profile_trait_text\(traits\).*gin_trgm_ops\)/);
  });

  it('finds text in any value, case aside, with LIKE’s wildcards as text, and follows writes', async () => {
    await insert('p1', { name: 'Ada Lovelace', city: 'Utrecht', discount: '10%_off' });
    await insert('p2', { name: 'Bob Stone', city: 'Leiden', seats: 12 });
    expect(await found('LOVELACE')).toEqual(['p1']);
    expect(await found('leid')).toEqual(['p2']);
    expect(await found('ei')).toEqual(['p2']);
    expect(await found('%_o')).toEqual(['p1']);
    expect(await found('0%')).toEqual(['p1']);
    expect(await found('e%e')).toEqual([]);
    expect(await found('cht10')).toEqual([]);
    expect(await found('utrecht\n10')).toEqual([]);
    await admin.query(
      `UPDATE ${profiles} SET traits = traits || '{"city": {"value": "Delft"}}' WHERE profile_id = 'p1'`,
    );
    expect(await found('utrecht')).toEqual([]);
    expect(await found('delft')).toEqual(['p1']);
  });

  it('lets the planner answer the search from the index', async () => {
    const { list } = profileListSql(
      {
        search: { text: 'lovelace', ids: [] },
        order: { column: 'profile_id' },
        descending: false,
        offset: 0,
        limit: 25,
        withTotal: false,
      },
      {
        profiles,
        idIn: 'profile_id = ANY(?::text[])',
        ids: (ids) => ids,
        traitValue: "traits -> ?::text -> 'value'",
        traitKey: (key) => key,
        anyTraitContains: (text) => ({
          sql: `${quoteIdent(schema)}.profile_trait_text(traits) LIKE ?`,
          param: `%${text}%`,
        }),
        idOrder: 'profile_id COLLATE "C"',
      },
    );
    const client = await admin.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = await client.query(`EXPLAIN ${numberedPlaceholders(list.text)}`, list.params);
      await client.query('ROLLBACK');
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('profiles_by_trait_text');
    } finally {
      client.release();
    }
  });
});
