// The spend store on the embedded engine: beside the state in state.sqlite, with its own
// migration ledger. Writes go through asyncWriter (it is used on the HTTP thread).
import type { SpendRow, SpendStore, SpendTotal } from '../spend-types.ts';
import {
  type AsyncWriter,
  asyncWriter,
  migrateSqlite,
  openSqlite,
  type SqliteDatabase,
} from './connection.ts';

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

export class SqliteSpendStore implements SpendStore {
  readonly engine = 'sqlite' as const;
  private readonly db: SqliteDatabase;
  private readonly write: AsyncWriter;

  constructor(path: string) {
    this.db = openSqlite(path, { synchronous: 'NORMAL' });
    migrateSqlite(this.db, MIGRATIONS, 'attribution_schema_migrations');
    this.write = asyncWriter(this.db);
  }

  async upsertSpend(rows: readonly SpendRow[]): Promise<void> {
    const statement = this.db.prepare(
      `INSERT INTO attribution_spend (day, channel, campaign, amount, currency) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (day, channel, campaign) DO UPDATE SET amount = excluded.amount, currency = excluded.currency`,
    );
    await this.write(() => {
      for (const row of rows) statement.run(row.day, row.channel, row.campaign, row.amount, row.currency);
    });
  }

  async spendBetween(fromDay: string, toDay: string): Promise<SpendTotal[]> {
    return this.db
      .prepare(
        `SELECT channel, campaign, sum(amount) AS amount, min(currency) AS currency, count(*) AS days
         FROM attribution_spend WHERE day >= ? AND day <= ? GROUP BY channel, campaign ORDER BY channel, campaign`,
      )
      .all(fromDay, toDay) as SpendTotal[];
  }

  async dailySpend(fromDay: string, toDay: string): Promise<SpendRow[]> {
    return this.db
      .prepare(
        'SELECT day, channel, campaign, amount, currency FROM attribution_spend WHERE day >= ? AND day <= ? ORDER BY day, channel, campaign',
      )
      .all(fromDay, toDay) as SpendRow[];
  }

  async storedCurrency(): Promise<string | null> {
    const row = this.db.prepare('SELECT currency FROM attribution_spend LIMIT 1').get() as
      | { currency: string }
      | undefined;
    return row?.currency ?? null;
  }

  async sendCosts(): Promise<Record<string, number>> {
    const rows = this.db.prepare('SELECT channel, cost FROM attribution_send_costs').all() as {
      channel: string;
      cost: number;
    }[];
    return Object.fromEntries(rows.map((row) => [row.channel, row.cost]));
  }

  async setSendCost(channel: string, cost: number): Promise<void> {
    await this.write(() => {
      this.db
        .prepare(
          'INSERT INTO attribution_send_costs (channel, cost) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET cost = excluded.cost',
        )
        .run(channel, cost);
    });
  }

  async close(): Promise<void> {
    await this.write.idle();
    this.db.close();
  }
}
