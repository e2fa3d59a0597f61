// `npm run bench -- personas [--people N] [--k K] [--restarts R] [--engine duckdb|postgres|both]`:
// personas and the assumption audit at scale on DuckDB (in memory) and PostgreSQL (a table of the
// store's column types; RAPPORT_BENCH_DATABASE_URL, or the throwaway cluster the tests use), N
// synthetic people (default 100,000) of four planted kinds, about ten events each.
// The profiles (two traits each: age, household size, and a city) come from an in-memory list
// paged as the state store pages them.
// - personas: the baseline is the feature query alone (BEHAVIOUR_SQL, raw driver); then the whole
//   fit, readPeople (the same query plus the profiles) and fitPersonas on 12 features (6 of
//   behaviour, 6 traits), k fixed (silhouette's choice over 2..8 is 7 fits; see docs);
// - audit: the baseline is the raw event queries the 20 claims need, alone; then the whole
//   audit, EvidenceReader.read and testClaim for each of the 20 claims.
// Each reports time and peak RSS, and the ratio to its baseline. The adjusted Rand index of the
// personas against the planted kinds says the fit is not merely fast.
import { randomBytes } from 'node:crypto';
import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import pg from 'pg';
import { type Claim, EvidenceReader, testClaim } from '../src/audit/index.ts';
import { conditionsOf } from '../src/audit/model.ts';
import { BEHAVIOUR_SQL } from '../src/personas/features.ts';
import { adjustedRandIndex, fitPersonas, readPeople } from '../src/personas/index.ts';
import type { ProfileRow, ProfileSearch } from '../src/store/index.ts';
import { quoteIdent } from '../src/store/postgres/sql.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { MemorySampler } from './support/process-stats.ts';

const DAY = 86_400;
const NOW = Date.parse('2026-06-01T00:00:00Z');

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** The kind of person i: 0 big spenders, 1 regulars, 2 browsers, 3 lapsed. */
const kindOf = (i: number) => i % 4;
const id = (i: number) => `p${String(i).padStart(8, '0')}`;

/** The planted events, per person: orders, views, email opens, and the last event's age in days. */
const PLAN = (people: number, range: (n: string) => string) => `
    people AS (SELECT i, i % 4 AS kind, (i * 2654435761) % 1000 AS h FROM ${range(String(people))} t(i)),
    plan AS (SELECT i, kind, h,
      CASE kind WHEN 0 THEN 1 + h % 2 WHEN 1 THEN 8 + h % 5 WHEN 2 THEN 0 ELSE 1 END AS orders,
      CASE kind WHEN 0 THEN 2 WHEN 1 THEN 3 WHEN 2 THEN 8 + h % 4 ELSE 1 END AS views,
      CASE kind WHEN 2 THEN 3 + h % 3 ELSE 0 END AS opens,
      CASE kind WHEN 3 THEN 200 + h % 100 ELSE 1 + h % 30 END AS last_days
      FROM people)`;

const EVENT_COLUMNS = (range: (n: string) => string, json: string) => `
    'p' || lpad(CAST(i AS VARCHAR), 8, '0') AS profile_id, 'track' AS type, ev.name,
      to_timestamp(${NOW / 1000} - (last_days + ev.n * 3) * ${DAY}) AS timestamp,
      CAST(CASE WHEN ev.name = 'Order Completed'
        THEN '{"revenue":' || CASE kind WHEN 0 THEN 400 + h % 200 ELSE 15 + h % 10 END || ',"product_id":"' || CASE WHEN ev.n = 0 AND h % 3 = 0 THEN 'printer' WHEN ev.n = 1 AND h % 6 = 0 THEN 'ink' ELSE 'other' END || '"}'
        ELSE '{}' END AS ${json}) AS properties
    FROM plan, LATERAL (
      SELECT 'Order Completed' AS name, n FROM ${range('orders')} r(n)
      UNION ALL SELECT 'Product Viewed', n FROM ${range('views')} r(n)
      UNION ALL SELECT 'Email Opened', n FROM ${range('opens')} r(n)
      UNION ALL SELECT 'Signed Up', 0
    ) ev`;

type Rows = Record<string, unknown>[];
interface World {
  engine: string;
  events: { query(sql: string, params?: unknown[]): Promise<Rows> };
  state: {
    searchProfiles(search: ProfileSearch): Promise<ProfileRow[]>;
    computedPropertiesOf(): Promise<never[]>;
  };
  profileMap(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

const plain = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v,
    ]),
  );

async function duckdbEvents(people: number) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const range = (n: string) => `range(${n})`;
  await connection.run(
    `CREATE TABLE events AS WITH ${PLAN(people, range)} SELECT ${EVENT_COLUMNS(range, 'JSON')}`,
  );
  return {
    events: {
      async query(sql: string, params: unknown[] = []) {
        const result = await connection.runAndReadAll(sql, params as DuckDBValue[]);
        return result.getRowObjectsJS().map(plain);
      },
    },
    close: async () => connection.closeSync(),
  };
}

/** The same events in PostgreSQL, in a table of the store's column types (text, timestamptz, jsonb). */
async function postgresEvents(people: number) {
  const cluster = process.env.RAPPORT_BENCH_DATABASE_URL ? null : await startThrowawayPostgres();
  const url = process.env.RAPPORT_BENCH_DATABASE_URL ?? (cluster?.url as string);
  const schema = `bench_personas_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await pool.query(`CREATE TABLE ${quoteIdent(schema)}.events (profile_id text NOT NULL, type text NOT NULL,
    name text, timestamp timestamptz NOT NULL, properties jsonb)`);
  // generate_series is inclusive: 0 .. n-1.
  const range = (n: string) => `generate_series(0, (${n}) - 1)`;
  await pool.query(
    `INSERT INTO ${quoteIdent(schema)}.events WITH ${PLAN(people, range)} SELECT ${EVENT_COLUMNS(range, 'jsonb')}`,
  );
  await pool.query(`ANALYZE ${quoteIdent(schema)}.events`);
  return {
    events: {
      async query(sql: string, params: unknown[] = []) {
        return (await pool.query(sql, params)).rows.map(plain);
      },
    },
    close: async () => {
      await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      await pool.end();
      await cluster?.stop();
    },
  };
}

function profilesOf(people: number) {
  const cities = ['Lyon', 'Leeds', 'Boston', 'Denver', 'Osaka', 'Porto', 'Ghent', 'Turin'];
  const profiles: ProfileRow[] = Array.from({ length: people }, (_, i) => {
    const trait = (value: unknown) => ({ value, at: '', source: 'bench', messageId: '' });
    const kind = kindOf(i);
    const lastDays = kind === 3 ? 250 : 15;
    return {
      profileId: id(i),
      createdAt: '',
      firstSeen: '',
      lastSeen: new Date(NOW - lastDays * DAY * 1000).toISOString(),
      eventCount: 10,
      traits: {
        age: trait(25 + ((i * 7) % 40)),
        household_size: trait(1 + (i % 5)),
        tenure_years: trait((i * 13) % 10),
        visits_per_month: trait(kind === 2 ? 12 : 3),
        discount_share: trait(((i * 31) % 100) / 100),
        support_tickets: trait((i * 17) % 4),
        city: trait(cities[i % cities.length]),
      },
      groups: {},
      consent: {},
      mergedInto: null,
    } as unknown as ProfileRow;
  });
  return {
    async searchProfiles(search: ProfileSearch) {
      const from = search.afterId ? Number(search.afterId.slice(1)) + 1 : 0;
      return profiles.slice(from, from + search.limit);
    },
    async computedPropertiesOf(): Promise<never[]> {
      return [];
    },
  };
}

async function fill(people: number, engine: 'duckdb' | 'postgres'): Promise<World> {
  const started = performance.now();
  const store = engine === 'duckdb' ? await duckdbEvents(people) : await postgresEvents(people);
  console.log(`${engine}: filled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    engine,
    events: store.events,
    state: profilesOf(people),
    profileMap: async () => new Map<string, string>(),
    close: store.close,
  };
}

async function measure<T>(work: () => Promise<T>): Promise<{ ms: number; peakMb: number; value: T }> {
  global.gc?.();
  const sampler = new MemorySampler(20);
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  sampler.sample();
  return { ms, peakMb: sampler.stop().peakRssMb, value };
}

const ordered = { kind: 'event', event: 'Order Completed' } as const;
const signedUp = { kind: 'event', event: 'Signed Up' } as const;
const printer = { event: 'Order Completed', property: 'product_id', value: 'printer' };
const ink = { event: 'Order Completed', property: 'product_id', value: 'ink' };

/** Twenty claims of every kind the audit tests. */
function claims(): Claim[] {
  const out: Claim[] = [];
  const cities = ['Lyon', 'Leeds', 'Boston', 'Denver', 'Osaka'];
  for (const city of cities)
    out.push({
      kind: 'share',
      among: [signedUp],
      have: { kind: 'trait', trait: 'city', op: 'equals', value: city },
      direction: 'at_least',
      share: 0.5,
    });
  for (let n = 1; n <= 5; n++)
    out.push({
      kind: 'share',
      among: [signedUp],
      have: { ...ordered, minCount: n },
      direction: 'at_least',
      share: 0.5,
    });
  for (const days of [7, 14, 30, 60, 90])
    out.push({
      kind: 'share',
      among: [{ kind: 'event', ...printer }],
      have: { kind: 'followed_by', first: printer, next: ink, withinDays: days },
      direction: 'at_least',
      share: 0.3,
    });
  for (const age of [30, 35, 40, 45, 50])
    out.push({
      kind: 'difference',
      among: [signedUp],
      group: { kind: 'trait', trait: 'age', op: 'at_least', value: age },
      outcome: { kind: 'event', event: 'Email Opened' },
      direction: 'more',
      margin: 0,
    });
  return out;
}

function engines(args: string[]): Array<'duckdb' | 'postgres'> {
  const i = args.indexOf('--engine');
  const engine = i >= 0 ? args[i + 1] : 'both';
  if (engine === 'duckdb' || engine === 'postgres') return [engine];
  if (engine === 'both') return ['duckdb', 'postgres'];
  throw new Error(`--engine: duckdb, postgres or both, not ${engine}`);
}

export async function run(args: string[]): Promise<void> {
  const people = option(args, 'people', 100_000);
  const k = option(args, 'k', 4);
  const restarts = option(args, 'restarts', 3);
  for (const engine of engines(args)) {
    console.log(
      `personas bench: ${people.toLocaleString('en')} people, ${engine}, k = ${k}, ${restarts} restarts`,
    );
    const world = await fill(people, engine);
    try {
      await measureWorld(world, k, restarts);
    } finally {
      await world.close();
    }
  }
}

async function measureWorld(world: World, k: number, restarts: number): Promise<void> {
  const n = (await world.events.query('SELECT count(*) AS n FROM events'))[0]?.n;
  console.log(`${Number(n).toLocaleString('en')} events`);
  const traits = [
    'age',
    'household_size',
    'tenure_years',
    'visits_per_month',
    'discount_share',
    'support_tickets',
  ];

  const query = await measure(() => world.events.query(BEHAVIOUR_SQL));
  const fit = await measure(async () => {
    const rows = await readPeople(world, traits, new Date(NOW));
    return { rows, fit: fitPersonas(rows, { k, restarts }) };
  });
  const planted = fit.value.rows.ids.map((pid) => String(kindOf(Number(pid.slice(1)))));
  const found = fit.value.rows.ids.map((pid) => fit.value.fit.assignments.get(pid)!);
  console.log(
    `feature query alone: ${(query.ms / 1000).toFixed(2)} s, peak RSS ${query.peakMb.toFixed(0)} MB`,
  );
  console.log(
    `personas fit (12 features): ${(fit.ms / 1000).toFixed(2)} s, peak RSS ${fit.peakMb.toFixed(0)} MB; ` +
      `${(fit.ms / query.ms).toFixed(1)}x the query; silhouette ${fit.value.fit.fit.silhouette.toFixed(3)}, ` +
      `adjusted Rand index against the planted kinds ${adjustedRandIndex(planted, found).toFixed(3)}`,
  );

  const all = claims();
  const reader = new EvidenceReader(world);
  const raw = await measure(async () => {
    // One query per distinct event the claims name: who did it, nothing more.
    const names = new Set(
      all
        .flatMap(conditionsOf)
        .flatMap((c) =>
          c.kind === 'event' ? [c.event] : c.kind === 'followed_by' ? [c.first.event, c.next.event] : [],
        ),
    );
    for (const name of names)
      await world.events.query("SELECT DISTINCT profile_id FROM events WHERE type = 'track' AND name = $1", [
        name,
      ]);
  });
  const audit = await measure(async () => {
    const evidence = await reader.read(all.flatMap(conditionsOf));
    return all.map((claim) => testClaim(claim, evidence, new Date(NOW)));
  });
  const verdicts = audit.value.reduce<Record<string, number>>((acc, r) => {
    acc[r.verdict] = (acc[r.verdict] ?? 0) + 1;
    return acc;
  }, {});
  console.log(
    `raw event queries of the 20 claims alone: ${(raw.ms / 1000).toFixed(2)} s, peak RSS ${raw.peakMb.toFixed(0)} MB`,
  );
  console.log(
    `audit of 20 claims: ${(audit.ms / 1000).toFixed(2)} s, peak RSS ${audit.peakMb.toFixed(0)} MB; ` +
      `${(audit.ms / raw.ms).toFixed(1)}x the raw queries; verdicts ${JSON.stringify(verdicts)}`,
  );
}
