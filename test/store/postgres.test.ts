// PostgreSQL-only behaviour the contract suite has no embedded counterpart for: schema
// creation, migrations racing at start-up, who owns the pool.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresEventStore, PostgresStateStore } from '../../src/store/postgres/index.ts';
import { EVENT_MIGRATIONS, LOG_MIGRATIONS, STATE_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { writeChanges } from '../../src/store/postgres/profiles.ts';
import { quoteIdent, tablesIn } from '../../src/store/postgres/sql.ts';
import type { IdentityRow, ProfileRow } from '../../src/store/types.ts';

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

  it("reads and dedupes the ingest log through its primary keys before the tables' first ANALYZE", async () => {
    // A new installation's log grows for a minute or more before autovacuum first analyses it;
    // the planner then knows only the tables' sizes. The dedupe read was a hash join over every
    // stored id there (13-140 ms at 30,000 ids, under the append lock), and the reads joined
    // the picked batches with a scan of every batch.
    const schema = freshSchema();
    const statements: Array<{ text: string; values: unknown[] }> = [];
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const [first, second] = args;
        if (typeof first === 'string') statements.push({ text: first, values: (second as unknown[]) ?? [] });
        else if (first && typeof first === 'object' && 'text' in first) {
          const config = first as { text: string; values?: unknown[] };
          statements.push({ text: config.text, values: config.values ?? [] });
        }
        return query(...args);
      };
    });
    const store = await PostgresStateStore.open(url, { schema, pool });
    const q = quoteIdent(schema);
    for (const table of ['log_batches', 'log_message_ids'])
      await admin.query(`ALTER TABLE ${q}.${table} SET (autovacuum_enabled = false)`);
    // 300 requests of 100 messages, written as the append writes them.
    await admin.query(
      `INSERT INTO ${q}.log_message_ids SELECT 'm' || n FROM generate_series(1, 30000) AS n;
       INSERT INTO ${q}.log_batches (last_seq, span, live, source, received_at, message_ids, body)
       SELECT b * 100, 100, 100, 'web', now(),
              (SELECT json_agg('m' || n)::text FROM generate_series(b * 100 - 99, b * 100) AS n),
              (SELECT string_agg('{"type":"track","n":' || n || '}', E'\\n') FROM generate_series(b * 100 - 99, b * 100) AS n)
       FROM generate_series(1, 300) AS b`,
    );
    statements.length = 0;
    const received = new Date().toISOString();
    const entries = Array.from({ length: 100 }, (_, i) => ({
      messageId: `new-${i}`,
      source: 'web',
      receivedAt: received,
      json: '{"type":"track"}',
    }));
    expect(await store.log.append([...entries, { ...entries[0]!, messageId: 'm29999' }])).toEqual({
      appended: 100,
      duplicates: 1,
    });
    expect((await store.log.read(15_000, 2000)).map((record) => record.seq)).toEqual(
      Array.from({ length: 2000 }, (_, i) => 15_001 + i),
    );
    expect(await store.log.readContaining(29_950, 100, '"n":29999')).toHaveLength(100);
    expect(await store.log.entryTimes(29_990, 50)).toHaveLength(50);
    const reads = statements.filter(({ text }) => /log_batches|log_message_ids/.test(text));
    expect(reads.length).toBeGreaterThanOrEqual(5);
    for (const { text, values } of reads) {
      const { rows } = await admin.query(`EXPLAIN ${text}`, values);
      const plan = rows.map((row: Record<string, string>) => Object.values(row)[0]).join('\n');
      expect(plan, text).not.toMatch(/Seq Scan on log_(batches|message_ids)/);
    }
    await store.close();
    await pool.end();
  });

  it('rewrites a profile on its own page (a heap-only update, no index entry) and leaves unchanged identities alone', async () => {
    const schema = freshSchema();
    const store = await PostgresStateStore.open(url, { schema });
    const tables = tablesIn(schema);
    const at = '2026-01-01T00:00:00.000Z';
    const profile = (i: number, eventCount: number): ProfileRow => ({
      profileId: `p${i}`,
      createdAt: at,
      firstSeen: at,
      lastSeen: at,
      eventCount,
      traits: { email: { value: `person${i}@example.com`, at, source: 'web', messageId: `m${i}` } },
      groups: {},
      consent: {},
      mergedInto: null,
    });
    const identity = (i: number, profileId: string): IdentityRow => ({
      kind: 'userId',
      value: `u${i}`,
      profileId,
      firstSeen: at,
    });
    const people = Array.from({ length: 400 }, (_, i) => i);
    await writeChanges(admin, tables, {
      profiles: people.map((i) => profile(i, 1)),
      identities: people.map((i) => identity(i, `p${i}`)),
      merges: [],
    });
    const pages = async () =>
      new Map(
        (
          await admin.query<{ profile_id: string; page: string }>(
            `SELECT profile_id, (ctid::text::point)[0]::text AS page FROM ${tables.profiles}`,
          )
        ).rows.map((row) => [row.profile_id, row.page]),
      );
    const versions = async () =>
      new Map(
        (
          await admin.query<{ value: string; xmin: string }>(
            `SELECT value, xmin::text AS xmin FROM ${tables.identities}`,
          )
        ).rows.map((row) => [row.value, row.xmin]),
      );
    const pagesBefore = await pages();
    const versionsBefore = await versions();
    // A slice touching every fourth person, with their identities as the processor passes them.
    const touched = people.filter((i) => i % 4 === 0);
    await writeChanges(admin, tables, {
      profiles: touched.map((i) => profile(i, 2)),
      identities: [...touched.map((i) => identity(i, `p${i}`)), identity(1, 'p0')],
      merges: [],
    });
    expect(await pages()).toEqual(pagesBefore);
    const versionsAfter = await versions();
    expect(versionsAfter.get('u4')).toBe(versionsBefore.get('u4'));
    expect(versionsAfter.get('u1')).not.toBe(versionsBefore.get('u1'));
    const { rows } = await admin.query(
      `SELECT value, profile_id FROM ${tables.identities} WHERE value IN ('u1', 'u4') ORDER BY value`,
    );
    expect(rows).toEqual([
      { value: 'u1', profile_id: 'p0' },
      { value: 'u4', profile_id: 'p4' },
    ]);
    const counts = await admin.query(
      `SELECT event_count FROM ${tables.profiles} WHERE profile_id IN ('p4', 'p5') ORDER BY profile_id`,
    );
    expect(counts.rows.map((row) => Number(row.event_count))).toEqual([2, 1]);
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
