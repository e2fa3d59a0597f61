// The channel store on the embedded engine: its SQL is shared (../sql/channels.ts). Its own
// connection to state.sqlite and its own migration track (channel_schema_migrations), so its
// tables never renumber the state store's. Tasks are written on the HTTP thread (the outbox,
// the task API): writes never sleep on the lock (sqliteStoreEngine).
import { SqlChannelStore } from '../sql/channels.ts';
import { migrateSqlite, openSqlite } from './connection.ts';
import { sqliteStoreEngine } from './engine.ts';

const MIGRATIONS: string[] = [
  `CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     idempotency_key TEXT NOT NULL UNIQUE,
     profile_id TEXT NOT NULL,
     queue TEXT NOT NULL,
     title TEXT NOT NULL,
     note TEXT,
     status TEXT NOT NULL,
     journey_id TEXT,
     step_id TEXT,
     created_at TEXT NOT NULL,
     due_at TEXT,
     claimed_by TEXT,
     claimed_at TEXT,
     completed_by TEXT,
     completed_at TEXT,
     outcome TEXT
   );
   CREATE INDEX tasks_by_queue ON tasks (queue, status, created_at, id);
   CREATE INDEX tasks_by_profile ON tasks (profile_id);
   CREATE TABLE channel_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  `CREATE TABLE sandbox_emails (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     to_address TEXT NOT NULL,
     from_address TEXT NOT NULL,
     subject TEXT NOT NULL,
     text_part TEXT,
     html_part TEXT,
     journey_id TEXT,
     step_id TEXT,
     template_id TEXT,
     captured_at TEXT NOT NULL
   );
   CREATE INDEX sandbox_emails_by_time ON sandbox_emails (captured_at, id);
   CREATE INDEX sandbox_emails_by_profile ON sandbox_emails (profile_id);`,
];

export class SqliteChannelStore extends SqlChannelStore {
  constructor(statePath: string) {
    const db = openSqlite(statePath, { synchronous: 'NORMAL' });
    migrateSqlite(db, MIGRATIONS, 'channel_schema_migrations');
    super(sqliteStoreEngine(db));
  }
}
