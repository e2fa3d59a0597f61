// The spend store on the embedded engine: its SQL is shared (../sql/spend.ts). Beside the state
// in state.sqlite, with its own migration ledger; writes queued on the connection's writer (it
// is used on the HTTP thread).
import { SqlSpendStore } from '../sql/spend.ts';
import { migrateSqlite, openSqlite } from './connection.ts';
import { sqliteStoreEngine } from './engine.ts';

const MIGRATIONS: string[] = [
  `CREATE TABLE attribution_spend (
     day TEXT NOT NULL,
     channel TEXT NOT NULL,
     campaign TEXT NOT NULL,
     amount REAL NOT NULL,
     currency TEXT NOT NULL,
     PRIMARY KEY (day, channel, campaign)
   );
   CREATE TABLE attribution_send_costs (channel TEXT PRIMARY KEY, cost REAL NOT NULL);`,
];

export class SqliteSpendStore extends SqlSpendStore {
  constructor(path: string) {
    const db = openSqlite(path, { synchronous: 'NORMAL' });
    migrateSqlite(db, MIGRATIONS, 'attribution_schema_migrations');
    super(sqliteStoreEngine(db));
  }
}
