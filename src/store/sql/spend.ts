// The spend store's SQL (docs/attribution.md, "Costs"), written once for both engines; the
// engine folders keep the connection and migrations (sqlite/spend.ts, postgres/spend.ts).
// What differs is the day column's type (text on SQLite, date on PostgreSQL), read back as
// text through the dialect. No person's data lives here.
import type { SpendRow, SpendStore, SpendTotal } from '../spend-types.ts';
import type { StoreEngine } from './engine.ts';
import { join, raw, sql } from './query.ts';

/** Rows per INSERT: five parameters each, well under SQLite's bound-parameter limit. */
const ROWS_PER_STATEMENT = 200;

export class SqlSpendStore implements SpendStore {
  readonly engine: 'sqlite' | 'postgres';
  private readonly spend: ReturnType<typeof raw>;
  private readonly costs: ReturnType<typeof raw>;
  private readonly day: ReturnType<typeof raw>;

  constructor(private readonly db: StoreEngine) {
    this.engine = db.engine;
    this.spend = raw(db.dialect.table('attribution_spend'));
    this.costs = raw(db.dialect.table('attribution_send_costs'));
    this.day = raw(db.dialect.dayText('day'));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async upsertSpend(rows: readonly SpendRow[]): Promise<void> {
    const unique = lastPerKey(rows);
    if (unique.length === 0) return;
    await this.db.transaction(async (x) => {
      for (let i = 0; i < unique.length; i += ROWS_PER_STATEMENT) {
        const values = unique
          .slice(i, i + ROWS_PER_STATEMENT)
          .map((row) => sql`(${row.day}, ${row.channel}, ${row.campaign}, ${row.amount}, ${row.currency})`);
        await x.run(
          sql`INSERT INTO ${this.spend} (day, channel, campaign, amount, currency) VALUES ${join(values, ', ')}
            ON CONFLICT (day, channel, campaign) DO UPDATE SET amount = excluded.amount, currency = excluded.currency`,
        );
      }
    });
  }

  async spendBetween(fromDay: string, toDay: string): Promise<SpendTotal[]> {
    const rows = await this.db.reads.all<SpendTotal>(
      sql`SELECT channel, campaign, sum(amount) AS amount, min(currency) AS currency, CAST(count(*) AS integer) AS days
        FROM ${this.spend} WHERE day >= ${fromDay} AND day <= ${toDay}
        GROUP BY channel, campaign ORDER BY channel, campaign`,
    );
    return rows.map((row) => ({ ...row, amount: Number(row.amount), days: Number(row.days) }));
  }

  async dailySpend(fromDay: string, toDay: string): Promise<SpendRow[]> {
    const rows = await this.db.reads.all<SpendRow>(
      sql`SELECT ${this.day} AS day, channel, campaign, amount, currency FROM ${this.spend}
        WHERE day >= ${fromDay} AND day <= ${toDay} ORDER BY day, channel, campaign`,
    );
    return rows.map((row) => ({ ...row, amount: Number(row.amount) }));
  }

  async storedCurrency(): Promise<string | null> {
    const row = await this.db.reads.get<{ currency: string }>(
      sql`SELECT currency FROM ${this.spend} LIMIT 1`,
    );
    return row?.currency ?? null;
  }

  async sendCosts(): Promise<Record<string, number>> {
    const rows = await this.db.reads.all<{ channel: string; cost: number }>(
      sql`SELECT channel, cost FROM ${this.costs}`,
    );
    return Object.fromEntries(rows.map((row) => [row.channel, Number(row.cost)]));
  }

  async setSendCost(channel: string, cost: number): Promise<void> {
    await this.db.writes((x) =>
      x.run(
        sql`INSERT INTO ${this.costs} (channel, cost) VALUES (${channel}, ${cost})
          ON CONFLICT (channel) DO UPDATE SET cost = excluded.cost`,
      ),
    );
  }
}

/** ON CONFLICT may not touch one row twice in a statement: the file's last row per key wins. */
function lastPerKey(rows: readonly SpendRow[]): SpendRow[] {
  const byKey = new Map<string, SpendRow>();
  for (const row of rows) byKey.set(`${row.day}\u0000${row.channel}\u0000${row.campaign}`, row);
  return [...byKey.values()];
}
