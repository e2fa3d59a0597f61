// PostgreSQL-only behaviour the contract suite has no embedded counterpart for: schema
// creation, migrations racing at start-up, who owns the pool.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresEventStore, PostgresStateStore } from '../../src/store/postgres/index.ts';
import { EVENT_MIGRATIONS, LOG_MIGRATIONS, STATE_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { quoteIdent } from '../../src/store/postgres/sql.ts';

const url = inject('postgresUrl');
const title = url ? 'PostgreSQL stores' : `PostgreSQL stores (${inject('postgresSkipReason')})`;

describe.skipIf(!url)(title, () => {
  let admin: pg.Pool;
  const schemas: string[] = [];
  const freshSchema = () => {
    const schema = `pgtest_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.end();
  });

  it('creates the schema and applies each migration once when processes start together', async () => {
    const schema = freshSchema();
    const opened = await Promise.all([
      PostgresStateStore.open(url, { schema }),
      PostgresStateStore.open(url, { schema }),
      PostgresStateStore.open(url, { schema }),
      PostgresEventStore.open(url, { schema }),
      PostgresEventStore.open(url, { schema }),
    ]);
    const { rows } = await admin.query<{ component: string; versions: number[] }>(
      `SELECT component, array_agg(version ORDER BY version) AS versions
       FROM ${quoteIdent(schema)}.schema_migrations GROUP BY component ORDER BY component`,
    );
    expect(rows).toEqual([
      { component: 'events', versions: EVENT_MIGRATIONS.map((_, i) => i + 1) },
      // The ingest log keeps a list of its own (its compaction), opened with the state store.
      { component: 'log', versions: LOG_MIGRATIONS.map((_, i) => i + 1) },
      { component: 'state', versions: STATE_MIGRATIONS.map((_, i) => i + 1) },
    ]);
    // Migrating again is a no-op.
    await opened[0]!.migrate();
    await opened[3]!.migrate();
    for (const store of opened) await store.close();
  });

  it('reads the export and the dashboard aggregates through indexes, not a scan of every event', async () => {
    const schema = freshSchema();
    const store = await PostgresEventStore.open(url, { schema });
    // Enough rows for the planner to prefer an index to reading the table.
    await admin.query(
      `INSERT INTO ${quoteIdent(schema)}.events (seq, message_id, profile_id, type, name, timestamp, received_at, message)
       SELECT n, 'm' || n, 'p' || (n % 1000), 'track', 'Viewed',
              timestamp '2026-01-01' + n * interval '1 minute', now(), '{}'::jsonb
       FROM generate_series(1, 50000) AS n`,
    );
    await admin.query(`ANALYZE ${quoteIdent(schema)}.events`);
    const plan = async (where: string) =>
      (
        await admin.query(
          `EXPLAIN SELECT seq FROM ${quoteIdent(schema)}.events WHERE ${where} ORDER BY seq LIMIT 100`,
        )
      ).rows
        .map((row: Record<string, string>) => Object.values(row)[0])
        .join('\n');
    expect(await plan('seq > 40000')).toMatch(/events_by_seq/);
    expect(await plan(`timestamp >= '2026-01-20' AND timestamp < '2026-01-21'`)).toMatch(/events_by_time/);
    await store.close();
  });

  it('leaves a pool it was handed open, and ends one it opened', async () => {
    const schema = freshSchema();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const borrowed = await PostgresStateStore.open(url, { schema, pool });
    await borrowed.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();

    const owning = await PostgresStateStore.open(url, { schema });
    await owning.close();
    await expect(owning.countProfiles()).rejects.toThrow();
  });

  it('keeps two schemas apart', async () => {
    const [left, right] = [freshSchema(), freshSchema()];
    const a = await PostgresStateStore.open(url, { schema: left });
    const b = await PostgresStateStore.open(url, { schema: right });
    await a.log.append([
      { messageId: 'm1', source: 'web', receivedAt: new Date(0).toISOString(), json: '{}' },
    ]);
    expect(await a.log.countEntries()).toBe(1);
    expect(await b.log.countEntries()).toBe(0);
    await a.close();
    await b.close();
  });

  it('fails to open with a clear error when the server is unreachable', async () => {
    await expect(PostgresStateStore.open('postgres://nobody@127.0.0.1:1/none')).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
