// The SQLite trigram index behind the people explorer's "any trait value contains": a store
// made before the index gets every profile indexed by the migration, writes keep it current,
// a deleted profile leaves no row in it, and the explorer's query reads it (the plan names the
// FTS table) instead of scanning every profile's traits.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrateSqlite } from '../../src/store/sqlite/connection.ts';
import { STATE_MIGRATIONS } from '../../src/store/sqlite/migrations.ts';

const INDEX_VERSION = STATE_MIGRATIONS.findIndex((sql) => sql.includes('profile_search_fts')) + 1;

function insertProfile(db: Database.Database, id: string, traits: Record<string, unknown>) {
  const stored = Object.fromEntries(Object.entries(traits).map(([k, value]) => [k, { value, at: 'x' }]));
  db.prepare(
    `INSERT INTO profiles (profile_id, created_at, first_seen, last_seen, event_count, traits, groups)
     VALUES (?, 'x', 'x', 'x', 0, ?, '{}')`,
  ).run(id, JSON.stringify(stored));
}

const matches = (db: Database.Database, text: string) =>
  (
    db
      .prepare(
        `SELECT s.profile_id AS id FROM profile_search s WHERE s.id IN
           (SELECT rowid FROM profile_search_fts WHERE profile_search_fts MATCH ?) ORDER BY 1`,
      )
      .all(`"${text}"`) as { id: string }[]
  ).map((row) => row.id);

describe('the SQLite profile search index', () => {
  it('indexes the profiles a store held before it, and follows inserts, updates and deletes', () => {
    const db = new Database(':memory:');
    expect(INDEX_VERSION).toBeGreaterThan(1);
    migrateSqlite(db, STATE_MIGRATIONS.slice(0, INDEX_VERSION - 1));
    insertProfile(db, 'p1', { name: 'Ada Lovelace', city: 'Utrecht', seats: 12 });
    insertProfile(db, 'p2', { name: 'Bob Stone', city: 'Leiden' });
    migrateSqlite(db, STATE_MIGRATIONS);
    expect(matches(db, 'lovelace')).toEqual(['p1']);
    expect(matches(db, 'LEIDEN')).toEqual(['p2']);
    // A number is text too; a match does not run across two values (the explorer sends a text
    // with a line break to the per-value scan instead).
    expect(matches(db, 'seats')).toEqual([]);
    expect(matches(db, 'cht12')).toEqual([]);
    expect(matches(db, 'cht')).toEqual(['p1']);

    insertProfile(db, 'p3', { name: 'Cleo Brown', city: 'Utrecht' });
    expect(matches(db, 'utrecht')).toEqual(['p1', 'p3']);
    db.prepare('UPDATE profiles SET traits = ? WHERE profile_id = ?').run(
      JSON.stringify({ name: { value: 'Cleo Brown' }, city: { value: 'Delft' } }),
      'p3',
    );
    expect(matches(db, 'utrecht')).toEqual(['p1']);
    expect(matches(db, 'delft')).toEqual(['p3']);
    db.prepare('DELETE FROM profiles WHERE profile_id = ?').run('p3');
    expect(matches(db, 'delft')).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM profile_search').get()).toEqual({ n: 2 });
    // The index's own check: every indexed row matches its content.
    db.prepare("INSERT INTO profile_search_fts (profile_search_fts) VALUES ('integrity-check')").run();
  });

  it('indexes a profile once it has traits, and again only when a value changes', () => {
    const db = new Database(':memory:');
    migrateSqlite(db, STATE_MIGRATIONS);
    const searchRows = () => db.prepare('SELECT profile_id, text FROM profile_search ORDER BY 1').all();
    const setTraits = (id: string, traits: Record<string, { value: unknown; at: string }>) =>
      db.prepare('UPDATE profiles SET traits = ? WHERE profile_id = ?').run(JSON.stringify(traits), id);
    // A new visitor without traits: nothing to index.
    insertProfile(db, 'p1', {});
    expect(searchRows()).toEqual([]);
    setTraits('p1', { name: { value: 'Ada Lovelace', at: '1' } });
    expect(matches(db, 'lovelace')).toEqual(['p1']);
    // The same value re-stated later (an identify on every sign-in) writes the profile alone:
    // no row of the search table or its index (total_changes counts the triggers' writes).
    const before = (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    setTraits('p1', { name: { value: 'Ada Lovelace', at: '2' } });
    expect((db.prepare('SELECT total_changes() AS n').get() as { n: number }).n - before).toBe(1);
    setTraits('p1', { name: { value: 'Ada King', at: '3' } });
    expect(matches(db, 'lovelace')).toEqual([]);
    expect(matches(db, 'king')).toEqual(['p1']);
    // A merge leaves the loser without traits: it matches nothing.
    setTraits('p1', {});
    expect(matches(db, 'king')).toEqual([]);
    db.prepare('DELETE FROM profiles WHERE profile_id = ?').run('p1');
    expect(searchRows()).toEqual([]);
    db.prepare("INSERT INTO profile_search_fts (profile_search_fts) VALUES ('integrity-check')").run();
  });

  it('answers the explorer query from the FTS index', () => {
    const db = new Database(':memory:');
    migrateSqlite(db, STATE_MIGRATIONS);
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM profiles WHERE merged_into IS NULL AND profile_id IN
          (SELECT s.profile_id FROM profile_search s WHERE s.id IN
            (SELECT rowid FROM profile_search_fts WHERE profile_search_fts MATCH '"abc"'))`,
      )
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join('\n')).toMatch(/VIRTUAL TABLE INDEX \d+:M/);
  });
});
