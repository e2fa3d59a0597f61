// The engine pairs the contract suite runs over, Kysely-style: each knows how to open a fresh,
// isolated state store + event store and how to throw them away.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { DuckDbEventStore } from '../../src/store/duckdb/events.ts';
import { PostgresEventStore, PostgresStateStore } from '../../src/store/postgres/index.ts';
import { quoteIdent } from '../../src/store/postgres/sql.ts';
import { SqliteStateStore, sqlitePathsIn } from '../../src/store/sqlite/state.ts';
import type { EventStore, StateStore } from '../../src/store/types.ts';

export interface OpenedStores {
  state: StateStore;
  events: EventStore;
  /** Another state store on the same data with its own connections, as a second process has. */
  openPeerState(): Promise<StateStore>;
  close(): Promise<void>;
  /** PostgreSQL only: another event store on the same data with its own pool (DuckDB locks its file). */
  openPeerEvents?(): Promise<EventStore>;
  /** PostgreSQL only: where the stores live, for tests that need a raw connection alongside. */
  postgres?: { url: string; schema: string };
  /** Embedded only: the data folder, for tests that open a file alongside. */
  sqlite?: { dataDir: string };
}

export interface EngineUnderTest {
  name: string;
  kind: 'embedded' | 'postgres';
  /** Non-empty: the pair cannot run here, and this says why. */
  skipReason: string;
  open(): Promise<OpenedStores>;
}

const embedded: EngineUnderTest = {
  name: 'sqlite + duckdb',
  kind: 'embedded',
  skipReason: '',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-contract-'));
    const state = new SqliteStateStore(sqlitePathsIn(dir));
    const events = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    const peers: StateStore[] = [];
    return {
      state,
      events,
      sqlite: { dataDir: dir },
      async openPeerState() {
        const peer = new SqliteStateStore(sqlitePathsIn(dir));
        peers.push(peer);
        return peer;
      },
      async close() {
        for (const peer of peers) await peer.close();
        await state.close();
        await events.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgresUrl = inject('postgresUrl');

const postgres: EngineUnderTest = {
  name: 'postgres',
  kind: 'postgres',
  skipReason: postgresUrl ? '' : inject('postgresSkipReason'),
  async open() {
    // A fresh schema per test: the stores create it, the test drops it.
    const schema = `contract_${randomBytes(6).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 8 });
    const state = await PostgresStateStore.open(postgresUrl, { schema, pool });
    const events = await PostgresEventStore.open(postgresUrl, { schema, pool });
    const peers: (StateStore | EventStore)[] = [];
    return {
      state,
      events,
      postgres: { url: postgresUrl, schema },
      async openPeerEvents() {
        const peer = await PostgresEventStore.open(postgresUrl, { schema });
        peers.push(peer);
        return peer;
      },
      async openPeerState() {
        // No pool handed in: the peer opens (and on close ends) its own, like another process.
        const peer = await PostgresStateStore.open(postgresUrl, { schema });
        peers.push(peer);
        return peer;
      },
      async close() {
        for (const peer of peers) await peer.close();
        await state.close();
        await events.close();
        await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
        await pool.end();
      },
    };
  },
};

export const ENGINES: EngineUnderTest[] = [embedded, postgres];
