// `npm run bench -- pg-profiles [--profiles N] [--touched N] [--rounds N]` (20,000, 2,000, 10): the profiles
// processor's upsert alone, against a throwaway PostgreSQL 15. N people are written once, then
// each round rewrites a random `--touched` of them as a slice of returning visitors does
// (event_count and last_seen move, traits stay; one in ten also changes a trait), through the
// store's own writeChanges. Two schemas in the same cluster, rounds interleaved: the profiles
// table as state migration 8 leaves it (fillfactor 70) and the baseline with full pages
// (fillfactor 100, as before). CPU is counted in this process and in PostgreSQL's processes;
// the share of heap-only updates comes from pg_stat_user_tables.
import { loadavg } from 'node:os';
import pg from 'pg';
import { PostgresStateStore } from '../src/store/postgres/index.ts';
import { writeChanges } from '../src/store/postgres/profiles.ts';
import { quoteIdent, tablesIn } from '../src/store/postgres/sql.ts';
import type { ProfileRow } from '../src/store/types.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { machine, postgresCpuMs } from './support/process-stats.ts';

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  const value = at === -1 ? fallback : Number(args[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

const AT = '2026-01-01T00:00:00.000Z';

function profile(i: number, eventCount: number, city: string): ProfileRow {
  const trait = (value: unknown) => ({ value, at: AT, source: 'web', messageId: `m${i}` });
  return {
    profileId: `profile-${i}`,
    createdAt: AT,
    firstSeen: AT,
    lastSeen: new Date(Date.parse(AT) + eventCount * 1000).toISOString(),
    eventCount,
    traits: {
      email: trait(`person${i}@example.com`),
      name: trait(`Person Number ${i}`),
      plan: trait(i % 3 === 0 ? 'pro' : 'free'),
      city: trait(city),
    },
    groups: {},
    consent: {},
    mergedInto: null,
  };
}

export async function run(args: string[]): Promise<void> {
  const people = option(args, '--profiles', 20_000);
  const touched = Math.min(people, option(args, '--touched', 2000));
  const rounds = option(args, '--rounds', 10);
  const host = machine();
  console.log(
    `machine: ${host.cpus} × ${host.model}, node ${host.node}; load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}; ${people} profiles, ${touched} rewritten a round, ${rounds} rounds each`,
  );
  const cluster = await startThrowawayPostgres();
  const pgCpu = () => postgresCpuMs(cluster.ctlArgs[1] as string);
  const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
  const arms = [
    { label: 'baseline: full pages (fillfactor 100)', schema: 'full_pages', fillfactor: 100 },
    { label: 'Rapport: fillfactor 70 (state migration 8)', schema: 'rapport', fillfactor: 70 },
  ];
  try {
    const counts = new Map<string, number[]>();
    for (const arm of arms) {
      const store = await PostgresStateStore.open(cluster.url, { schema: arm.schema, pool });
      await store.close();
      await pool.query(`ALTER TABLE ${quoteIdent(arm.schema)}.profiles SET (fillfactor = ${arm.fillfactor})`);
      const all = Array.from({ length: people }, (_, i) => profile(i, 1, 'Lyon'));
      await writeChanges(pool, tablesIn(arm.schema), { profiles: all, identities: [], merges: [] });
      counts.set(
        arm.schema,
        Array.from({ length: people }, () => 1),
      );
      await pool.query(`VACUUM ANALYZE ${quoteIdent(arm.schema)}.profiles`);
    }
    const cpu = arms.map(() => [] as number[]);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < rounds; round++) {
      const picked = new Set<number>();
      while (picked.size < touched) picked.add(Math.floor(random() * people));
      for (const [index, arm] of arms.entries()) {
        const eventCounts = counts.get(arm.schema) as number[];
        const rows = [...picked].map((i) => {
          eventCounts[i] = (eventCounts[i] ?? 1) + 1;
          return profile(i, eventCounts[i] as number, i % 10 === round % 10 ? `City ${round}` : 'Lyon');
        });
        const pgBefore = pgCpu();
        const before = process.cpuUsage();
        await writeChanges(pool, tablesIn(arm.schema), { profiles: rows, identities: [], merges: [] });
        const used = process.cpuUsage(before);
        const here = (used.user + used.system) / rows.length;
        const there = ((pgCpu() - pgBefore) * 1000) / rows.length;
        cpu[index]?.push(there);
        console.log(
          `round ${round + 1} ${arm.label.padEnd(45)} ${here.toFixed(1).padStart(6)} µs CPU a row here  ${there.toFixed(1).padStart(6)} µs PostgreSQL`,
        );
      }
    }
    // The statistics reach pg_stat_user_tables within a second of each transaction.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // PostgreSQL's CPU comes in 10 ms ticks: the rounds are summed.
    const perRow = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
    for (const [index, arm] of arms.entries()) {
      const { rows } = await pool.query<{ upd: string; hot: string; pages: string }>(
        `SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot, pg_relation_size(relid) / 8192 AS pages
         FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'profiles'`,
        [arm.schema],
      );
      const row = rows[0];
      console.log(
        `${arm.label}: ${perRow(cpu[index] ?? []).toFixed(1)} µs of PostgreSQL's CPU a row over all rounds; ` +
          `${row?.hot}/${row?.upd} updates heap-only; ${row?.pages} pages`,
      );
    }
    console.log(
      `ratio fillfactor 70 / full pages, PostgreSQL's CPU a row: ${(perRow(cpu[1] ?? []) / perRow(cpu[0] ?? [])).toFixed(2)}`,
    );
  } finally {
    await pool.end();
    cluster.stop();
  }
}
