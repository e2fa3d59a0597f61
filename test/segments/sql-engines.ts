// The event store engines the SQL compiler is checked against, each with the relations a
// compiled rule reads: events (the store's shape), profile_map and profile_facts.
import { randomBytes } from 'node:crypto';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import {
  type CompiledSegmentSql,
  compileRuleToSql,
  duckDbDialect,
  postgresDialect,
  type SegmentRule,
  type SqlDialect,
} from '../../src/segments/index.ts';
import type { StoredEvent } from '../../src/store/index.ts';
import { PostgresEventStore } from '../../src/store/postgres/index.ts';

export interface FactRow {
  profileId: string;
  key: string;
  value: unknown;
}

export interface SegmentSqlEngine {
  name: string;
  dialect: SqlDialect;
  /** Empties every relation. */
  reset(): Promise<void>;
  append(events: StoredEvent[]): Promise<void>;
  setFacts(facts: FactRow[]): Promise<void>;
  setProfileMap(map: Record<string, string>): Promise<void>;
  compile(rule: SegmentRule): CompiledSegmentSql;
  members(compiled: CompiledSegmentSql, now: Date): Promise<string[]>;
  close(): Promise<void>;
}

// The DuckDB event store's table (src/store/duckdb/events.ts, migration 1).
const DUCKDB_EVENTS = `CREATE TABLE events (
  seq BIGINT NOT NULL, message_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
  name VARCHAR, user_id VARCHAR, anonymous_id VARCHAR, timestamp TIMESTAMP NOT NULL,
  received_at TIMESTAMP NOT NULL, properties JSON, message JSON NOT NULL)`;

export async function openDuckDbEngine(): Promise<SegmentSqlEngine> {
  const instance = await DuckDBInstance.create(':memory:');
  const db: DuckDBConnection = await instance.connect();
  await db.run(DUCKDB_EVENTS);
  await db.run('CREATE TABLE profile_map (profile_id VARCHAR PRIMARY KEY, canonical_id VARCHAR NOT NULL)');
  await db.run(
    'CREATE TABLE profile_facts (profile_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value JSON, PRIMARY KEY (profile_id, key))',
  );
  return {
    name: 'duckdb',
    dialect: duckDbDialect,
    async reset() {
      for (const table of ['events', 'profile_map', 'profile_facts']) await db.run(`DELETE FROM ${table}`);
    },
    async append(events) {
      for (const e of events) {
        await db.run(
          `INSERT INTO events VALUES ($1, $2, $3, $4, $5, NULL, NULL, CAST($6 AS TIMESTAMP), CAST($7 AS TIMESTAMP), $8, $9)`,
          [
            e.seq,
            e.messageId,
            e.profileId,
            e.type,
            e.name,
            e.timestamp,
            e.receivedAt,
            JSON.stringify(e.properties),
            JSON.stringify(e.message),
          ],
        );
      }
    },
    async setFacts(facts) {
      for (const f of facts) {
        await db.run('INSERT INTO profile_facts VALUES ($1, $2, $3)', [
          f.profileId,
          f.key,
          JSON.stringify(f.value),
        ]);
      }
    },
    async setProfileMap(map) {
      for (const [loser, winner] of Object.entries(map))
        await db.run('INSERT INTO profile_map VALUES ($1, $2)', [loser, winner]);
    },
    compile: (rule) => compileRuleToSql(rule, { dialect: duckDbDialect, profileMap: 'profile_map' }),
    async members(compiled, now) {
      const result = await db.runAndReadAll(compiled.text, compiled.valuesAt(now));
      return result.getRowObjects().map((row) => String(row.profile_id));
    },
    async close() {
      db.closeSync();
      instance.closeSync();
    },
  };
}

/** PostgreSQL through the real PostgresEventStore, in a schema of its own. */
export async function openPostgresEngine(url: string): Promise<SegmentSqlEngine> {
  const schema = `segments_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const store = await PostgresEventStore.open(url, { schema, pool });
  const q = (name: string) => `"${schema}".${name}`;
  await pool.query(
    `CREATE TABLE ${q('profile_map')} (profile_id text PRIMARY KEY, canonical_id text NOT NULL)`,
  );
  await pool.query(
    `CREATE TABLE ${q('profile_facts')} (profile_id text NOT NULL, key text NOT NULL, value jsonb, PRIMARY KEY (profile_id, key))`,
  );
  // The store skips events at or below its offset (another worker stored them): number the
  // events in the order they are appended, as the ingest log would.
  let seq = 0;
  return {
    name: 'postgres',
    dialect: postgresDialect,
    async reset() {
      await pool.query(`TRUNCATE ${q('events')}, ${q('profile_map')}, ${q('profile_facts')}`);
    },
    async append(events) {
      const numbered = events.map((event) => ({ ...event, seq: ++seq }));
      await store.appendWithOffset('segments-test', numbered, seq);
    },
    async setFacts(facts) {
      for (const f of facts) {
        await pool.query(`INSERT INTO ${q('profile_facts')} VALUES ($1, $2, $3::jsonb)`, [
          f.profileId,
          f.key,
          JSON.stringify(f.value),
        ]);
      }
    },
    async setProfileMap(map) {
      for (const [loser, winner] of Object.entries(map)) {
        await pool.query(`INSERT INTO ${q('profile_map')} VALUES ($1, $2)`, [loser, winner]);
      }
    },
    compile: (rule) =>
      compileRuleToSql(rule, {
        dialect: postgresDialect,
        events: `${schema}.events`,
        profileMap: `${schema}.profile_map`,
        profileFacts: `${schema}.profile_facts`,
      }),
    async members(compiled, now) {
      const { rows } = await pool.query<{ profile_id: string }>(compiled.text, compiled.valuesAt(now));
      return rows.map((row) => row.profile_id);
    },
    async close() {
      await store.close();
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
