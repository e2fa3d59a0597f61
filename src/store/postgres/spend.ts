// The spend store on PostgreSQL, in the shared schema with its own migration component.
import type pg from 'pg';
import type { SpendRow, SpendStore, SpendTotal } from '../spend-types.ts';
import {
  connectPostgres,
  migratedOrClosed,
  migratePostgres,
  type PostgresConnection,
  type PostgresOpenOptions,
} from './connection.ts';
import { quoteIdent } from './sql.ts';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE attribution_spend (
     day date NOT NULL,
     channel text NOT NULL,
     campaign text NOT NULL,
     amount double precision NOT NULL,
     currency text NOT NULL,
     PRIMARY KEY (day, channel, campaign)
   );
   CREATE TABLE attribution_send_costs (channel text PRIMARY KEY, cost double precision NOT NULL);`,
];

export class PostgresSpendStore implements SpendStore {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly spend: string;
  private readonly costs: string;

  private constructor(private readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.spend = `${quoteIdent(connection.schema)}.attribution_spend`;
    this.costs = `${quoteIdent(connection.schema)}.attribution_send_costs`;
  }

  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresSpendStore> {
    return migratedOrClosed(new PostgresSpendStore(connectPostgres(url, options)), (store) =>
      migratePostgres(store.pool, store.connection.schema, {
        component: 'attribution',
        migrations: MIGRATIONS,
      }),
    );
  }

  async upsertSpend(rows: readonly SpendRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One statement: the rows travel as one JSON parameter.
    await this.pool.query(
      `INSERT INTO ${this.spend} (day, channel, campaign, amount, currency)
       SELECT (r->>'day')::date, r->>'channel', r->>'campaign', (r->>'amount')::double precision, r->>'currency'
       FROM jsonb_array_elements($1::jsonb) AS r
       ON CONFLICT (day, channel, campaign) DO UPDATE SET amount = excluded.amount, currency = excluded.currency`,
      [JSON.stringify(lastPerKey(rows))],
    );
  }

  async spendBetween(fromDay: string, toDay: string): Promise<SpendTotal[]> {
    const { rows } = await this.pool.query<SpendTotal>(
      `SELECT channel, campaign, sum(amount)::double precision AS amount, min(currency) AS currency, count(*)::int AS days
       FROM ${this.spend} WHERE day >= $1::date AND day <= $2::date GROUP BY channel, campaign ORDER BY channel, campaign`,
      [fromDay, toDay],
    );
    return rows;
  }

  async dailySpend(fromDay: string, toDay: string): Promise<SpendRow[]> {
    const { rows } = await this.pool.query<SpendRow>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, channel, campaign, amount, currency FROM ${this.spend}
       WHERE day >= $1::date AND day <= $2::date ORDER BY day, channel, campaign`,
      [fromDay, toDay],
    );
    return rows;
  }

  async storedCurrency(): Promise<string | null> {
    const { rows } = await this.pool.query<{ currency: string }>(
      `SELECT currency FROM ${this.spend} LIMIT 1`,
    );
    return rows[0]?.currency ?? null;
  }

  async sendCosts(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ channel: string; cost: number }>(
      `SELECT channel, cost FROM ${this.costs}`,
    );
    return Object.fromEntries(rows.map((row) => [row.channel, row.cost]));
  }

  async setSendCost(channel: string, cost: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.costs} (channel, cost) VALUES ($1, $2) ON CONFLICT (channel) DO UPDATE SET cost = excluded.cost`,
      [channel, cost],
    );
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** ON CONFLICT may not touch one row twice in a statement: the file's last row per key wins. */
function lastPerKey(rows: readonly SpendRow[]): SpendRow[] {
  const byKey = new Map<string, SpendRow>();
  for (const row of rows) byKey.set(`${row.day}\u0000${row.channel}\u0000${row.campaign}`, row);
  return [...byKey.values()];
}
