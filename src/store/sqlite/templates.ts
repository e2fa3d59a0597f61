// The template library on the embedded engine: its SQL is shared (../sql/templates.ts). Its own
// connection to state.sqlite and its own migration track (template_schema_migrations).
import { SqlTemplateStore } from '../sql/templates.ts';
import { migrateSqlite, openSqlite } from './connection.ts';
import { sqliteStoreEngine } from './engine.ts';

const MIGRATIONS: string[] = [
  `CREATE TABLE message_templates (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     description TEXT,
     channel TEXT NOT NULL,
     status TEXT NOT NULL,
     latest_version INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     updated_by TEXT
   );
   CREATE TABLE message_template_versions (
     template_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     content TEXT NOT NULL,
     created_at TEXT NOT NULL,
     created_by TEXT,
     note TEXT,
     PRIMARY KEY (template_id, version)
   );`,
];

export class SqliteTemplateStore extends SqlTemplateStore {
  constructor(statePath: string) {
    const db = openSqlite(statePath, { synchronous: 'NORMAL' });
    migrateSqlite(db, MIGRATIONS, 'template_schema_migrations');
    super(sqliteStoreEngine(db));
  }
}
