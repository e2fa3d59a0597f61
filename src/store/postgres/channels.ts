// The channel store on PostgreSQL: its SQL is shared (../sql/channels.ts). Tasks and channel
// settings in the shared schema, with their own migration ledger (channel_schema_migrations)
// so they never renumber the state store's.
import type pg from 'pg';
import { SqlChannelStore } from '../sql/channels.ts';
import { connectPostgres, inTransaction, migratedOrClosed, type PostgresOpenOptions } from './connection.ts';
import { postgresStoreEngine } from './engine.ts';
import { ADVISORY_XACT_LOCK_SQL, advisoryLockParams, quoteIdent } from './sql.ts';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE tasks (
     id text PRIMARY KEY,
     idempotency_key text NOT NULL UNIQUE,
     profile_id text NOT NULL,
     queue text NOT NULL,
     title text NOT NULL,
     note text,
     status text NOT NULL,
     journey_id text,
     step_id text,
     created_at timestamptz NOT NULL,
     due_at timestamptz,
     claimed_by text,
     claimed_at timestamptz,
     completed_by text,
     completed_at timestamptz,
     outcome text
   );
   CREATE INDEX tasks_by_queue ON tasks (queue, status, created_at, id);
   CREATE INDEX tasks_by_profile ON tasks (profile_id);
   CREATE TABLE channel_settings (key text PRIMARY KEY, value text NOT NULL);`,
  `CREATE TABLE sandbox_emails (
     id text PRIMARY KEY,
     profile_id text NOT NULL,
     to_address text NOT NULL,
     from_address text NOT NULL,
     subject text NOT NULL,
     text_part text,
     html_part text,
     journey_id text,
     step_id text,
     template_id text,
     captured_at timestamptz NOT NULL
   );
   CREATE INDEX sandbox_emails_by_time ON sandbox_emails (captured_at, id);
   CREATE INDEX sandbox_emails_by_profile ON sandbox_emails (profile_id);`,
];

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(ADVISORY_XACT_LOCK_SQL, advisoryLockParams(`${schema}:migrate`));
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS channel_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ v: number }>(
      'SELECT coalesce(max(version), 0)::int AS v FROM channel_schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (index + 1 <= current) continue;
      await client.query(sql);
      await client.query('INSERT INTO channel_schema_migrations (version) VALUES ($1)', [index + 1]);
    }
  });
}

export class PostgresChannelStore extends SqlChannelStore {
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresChannelStore> {
    const connection = connectPostgres(url, options);
    return migratedOrClosed(new PostgresChannelStore(postgresStoreEngine(connection)), () =>
      migrate(connection.pool, connection.schema),
    );
  }
}
