// Segments benchmark: `npm run bench -- segments [--profiles N] [--days D] [--probes P] [--rate R]`.
//
// A. Full build: a simulated store world in an in-memory DuckDB (the event store's table),
//    five typical rules compiled by compileRuleToSql beside hand-written SQL for the same
//    rule, same process, same database, alternating, median of 5 each; both must return the
//    same members. Reported as the ratio compiled / hand-written (target ≤ 1.5×).
// B. Incremental: the same events through planTracking/applyEvent and evaluateRule of 50
//    live segments (the five rules in ten variants), per event; p50/p99 (target p99 < 1 ms).
// C. Freshness: a Rapport server in this process with a live segment, the ingest bench's
//    load generator (bench/support/load.ts, a child process) posting at --rate requests/s,
//    and probes: one track event each, timed from its 200 until the segment's size counts it
//    (GET /api/segments/:id polled every 5 ms); p50/p99.
// The issue's full size is 1M profiles / 10M events: about `--profiles 1000000 --days 45`
// (events per person grow with the window: ≈ 37 over 365 days); the default (20,000 people,
// ≈ 750k events) is sized for a shared 2-core machine.
import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ensureCredential } from '../src/auth/index.ts';
import { loadConfig } from '../src/config/index.ts';
import {
  applyEvent,
  checkRuleText,
  compileRuleToSql,
  duckDbDialect,
  emptyProfileState,
  evaluateRule,
  type ProfileSegmentState,
  planTracking,
  type SegmentEvent,
  type SegmentRule,
} from '../src/segments/index.ts';
import { createServer } from '../src/server.ts';
import { simulateWorld, type TimedMessage } from '../src/simulate/index.ts';
import type { LoadCommand, LoadMessage, LoadResult } from './support/load.ts';
import { percentile } from './support/load.ts';
import { machine } from './support/process-stats.ts';

interface Options {
  profiles: number;
  days: number;
  probes: number;
  rate: number;
}

function parseOptions(args: string[]): Options {
  const options: Options = { profiles: 20_000, days: 365, probes: 60, rate: 10 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = Number(args[++i]);
    if (!Number.isFinite(next) || next <= 0) throw new Error(`${arg} needs a positive number`);
    if (arg === '--profiles') options.profiles = Math.round(next);
    else if (arg === '--days') options.days = next;
    else if (arg === '--probes') options.probes = Math.round(next);
    else if (arg === '--rate') options.rate = next;
    else
      throw new Error(`unknown option ${arg}; options: --profiles N, --days D, --probes P, --rate REQ_PER_S`);
  }
  return options;
}

const DAY = 86_400_000;
const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The five rules, each with hand-written SQL for the same members ($1: now). */
const RULES: Array<{ name: string; text: string; handSql: string }> = [
  {
    name: 'purchased in last 30 days',
    text: 'performed "Order Completed" in last 30 days',
    handSql: `SELECT DISTINCT profile_id FROM events WHERE name = 'Order Completed'
      AND timestamp > CAST($1 AS TIMESTAMP) - INTERVAL 30 DAY AND timestamp <= CAST($1 AS TIMESTAMP) ORDER BY 1`,
  },
  {
    name: 'spent over 200 in 90 days',
    text: 'sum of revenue in "Order Completed" in last 90 days > 200',
    handSql: `SELECT profile_id FROM events WHERE name = 'Order Completed'
      AND timestamp > CAST($1 AS TIMESTAMP) - INTERVAL 90 DAY AND timestamp <= CAST($1 AS TIMESTAMP)
      GROUP BY profile_id HAVING sum(CAST(properties->>'$.revenue' AS DOUBLE)) > 200 ORDER BY 1`,
  },
  {
    name: 'viewed but not bought',
    text: 'performed "Product Viewed" and not performed "Order Completed"',
    handSql: `SELECT profile_id FROM events WHERE timestamp <= CAST($1 AS TIMESTAMP) GROUP BY profile_id
      HAVING count(*) FILTER (WHERE name = 'Product Viewed') > 0 AND count(*) FILTER (WHERE name = 'Order Completed') = 0
      ORDER BY 1`,
  },
  {
    name: 'opened no email in 90 days',
    text: 'performed "Email Opened" exactly 0 times in last 90 days',
    handSql: `SELECT profile_id FROM events WHERE timestamp <= CAST($1 AS TIMESTAMP) GROUP BY profile_id
      HAVING count(*) FILTER (WHERE name = 'Email Opened' AND timestamp > CAST($1 AS TIMESTAMP) - INTERVAL 90 DAY) = 0
      ORDER BY 1`,
  },
  {
    name: 'trait plan and viewed at least 2 times',
    text: 'trait plan = "supplies-club" and performed "Product Viewed" at least 2 times',
    handSql: `WITH plans AS (
        SELECT profile_id, arg_max(message->'$.traits'->>'$.plan', (timestamp, message_id)) AS plan
        FROM events WHERE type = 'identify' AND timestamp <= CAST($1 AS TIMESTAMP)
          AND json_exists(message, '$.traits.plan') GROUP BY profile_id)
      SELECT e.profile_id FROM events e JOIN plans p USING (profile_id)
      WHERE p.plan = 'supplies-club' AND e.name = 'Product Viewed' AND e.timestamp <= CAST($1 AS TIMESTAMP)
      GROUP BY e.profile_id HAVING count(*) >= 2 ORDER BY 1`,
  },
];

function parseRule(text: string): SegmentRule {
  const checked = checkRuleText(text);
  if (!checked.ok) throw new Error(`${text}: ${checked.issues[0]?.message}`);
  return checked.value;
}

/** The person index is in every simulated messageId (`store-SEED-INDEX-…`): one profile per person. */
function profileOf(messageId: string): string {
  return `p${messageId.split('-')[2]}`;
}

function toSegmentEvent(item: TimedMessage): SegmentEvent {
  const m = item.message;
  return {
    messageId: m.messageId,
    type: m.type,
    name:
      m.type === 'track'
        ? (m.event ?? null)
        : m.type === 'page' || m.type === 'screen'
          ? (m.name ?? null)
          : null,
    timestamp: m.timestamp,
    properties: m.properties ?? {},
    message: m as unknown as Record<string, unknown>,
  };
}

interface World {
  events: Array<{ profileId: string; event: SegmentEvent }>;
  end: Date;
}

function generate(options: Options): World {
  const start = new Date(Date.UTC(2025, 0, 1));
  const world = simulateWorld({
    kind: 'store',
    seed: 42,
    people: options.profiles,
    start,
    days: options.days,
  });
  const events: World['events'] = [];
  for (const item of world.timedMessages())
    events.push({ profileId: profileOf(item.message.messageId), event: toSegmentEvent(item) });
  return { events, end: new Date(start.getTime() + options.days * DAY) };
}

async function loadDuckDb(world: World, dir: string): Promise<DuckDBConnection> {
  const file = join(dir, 'events.ndjson');
  // In chunks: one string of every line would pass V8's string length limit.
  writeFileSync(file, '');
  for (let from = 0; from < world.events.length; from += 50_000) {
    const lines = world.events.slice(from, from + 50_000).map(({ profileId, event }, i) =>
      JSON.stringify({
        seq: from + i,
        message_id: event.messageId,
        profile_id: profileId,
        type: event.type,
        name: event.name,
        timestamp: event.timestamp,
        properties: JSON.stringify(event.properties),
        message: JSON.stringify(event.message),
      }),
    );
    appendFileSync(file, `${lines.join('\n')}\n`);
  }
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  // The event store's table (src/store/duckdb/events.ts).
  await db.run(`CREATE TABLE events (
    seq BIGINT NOT NULL, message_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
    name VARCHAR, user_id VARCHAR, anonymous_id VARCHAR, timestamp TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL, properties JSON, message JSON NOT NULL)`);
  await db.run(`INSERT INTO events SELECT seq, message_id, profile_id, type, name, NULL, NULL,
      CAST(timestamp AS TIMESTAMP), CAST(timestamp AS TIMESTAMP), CAST(properties AS JSON), CAST(message AS JSON)
    FROM read_json('${file}', format = 'newline_delimited', columns = {seq: 'BIGINT', message_id: 'VARCHAR',
      profile_id: 'VARCHAR', type: 'VARCHAR', name: 'VARCHAR', timestamp: 'VARCHAR', properties: 'VARCHAR', message: 'VARCHAR'})`);
  await db.run('CREATE TABLE profile_facts (profile_id VARCHAR, key VARCHAR, value JSON)');
  return db;
}

async function timed(db: DuckDBConnection, sql: string, values: Array<string | number>) {
  const started = performance.now();
  const reader = await db.runAndReadAll(sql, values);
  const ms = performance.now() - started;
  return { ms, members: reader.getRows().map((row) => String(row[0])) };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function fullBuild(world: World, dir: string) {
  const db = await loadDuckDb(world, dir);
  const now = world.end.toISOString();
  const rows = [];
  for (const rule of RULES) {
    const compiled = compileRuleToSql(parseRule(rule.text), { dialect: duckDbDialect });
    const compiledMs: number[] = [];
    const handMs: number[] = [];
    let sizes = { compiled: 0, hand: 0 };
    for (let run = 0; run < 5; run++) {
      const a = await timed(db, compiled.text, compiled.valuesAt(world.end));
      const b = await timed(db, rule.handSql, [now]);
      if (run === 0 && a.members.join() !== b.members.join())
        throw new Error(
          `${rule.name}: compiled ${a.members.length} members, hand-written ${b.members.length}`,
        );
      compiledMs.push(a.ms);
      handMs.push(b.ms);
      sizes = { compiled: a.members.length, hand: b.members.length };
    }
    const c = median(compiledMs);
    const h = median(handMs);
    rows.push({
      rule: rule.name,
      members: sizes.compiled,
      compiledMs: round(c, 1),
      handMs: round(h, 1),
      ratio: round(c / h, 2),
    });
  }
  db.closeSync();
  return rows;
}

/** Fifty live segments: the five rules with ten thresholds or windows each. */
function fiftyRules(): SegmentRule[] {
  const texts: string[] = [];
  for (let i = 1; i <= 10; i++) {
    texts.push(
      `performed "Order Completed" in last ${i * 7} days`,
      `sum of revenue in "Order Completed" in last ${i * 30} days > ${i * 50}`,
      `performed "Product Viewed" at least ${i} times and not performed "Order Completed"`,
      `performed "Email Opened" exactly 0 times in last ${i * 30} days`,
      `trait plan = "supplies-club" and performed "Product Viewed" at least ${i} times`,
    );
  }
  return texts.map(parseRule);
}

function incremental(world: World) {
  const rules = fiftyRules();
  const plan = planTracking(rules);
  const states = new Map<string, ProfileSegmentState>();
  const perEventUs = new Float64Array(world.events.length);
  let members = 0;
  world.events.forEach(({ profileId, event }, i) => {
    const started = performance.now();
    const state = applyEvent(plan, states.get(profileId) ?? emptyProfileState(), event);
    const now = new Date(event.timestamp);
    for (const rule of rules) if (evaluateRule(rule, state, now)) members++;
    states.set(profileId, state);
    perEventUs[i] = (performance.now() - started) * 1000;
  });
  perEventUs.sort();
  return {
    events: world.events.length,
    segments: rules.length,
    p50Us: round(percentile(perEventUs, 50), 1),
    p99Us: round(percentile(perEventUs, 99), 1),
    maxUs: round(percentile(perEventUs, 100)),
    memberEvaluations: members,
  };
}

async function startLoad(): Promise<ChildProcess> {
  const child = fork(new URL('./support/load.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message: LoadMessage) => message.kind === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`load generator exited (${code})`)));
  });
  return child;
}

async function freshness(options: Options) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-segments-'));
  const config = loadConfig({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'warn' }, {});
  const server = await createServer(config);
  const writeKey = 'rk_write_bench_segments';
  const adminToken = 'rk_admin_bench_segments';
  await ensureCredential(server.state, 'write', 'bench', writeKey);
  await ensureCredential(server.state, 'admin', 'bench', adminToken);
  const url = await server.listen();
  const writeAuth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const created = await fetch(`${url}/api/segments`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ id: 'probes', text: 'performed "Bench Probe" in last 1 days' }),
  });
  if (created.status !== 201) throw new Error(`creating the segment: ${created.status}`);
  const probeSegment = async () =>
    (await (await fetch(`${url}/api/segments/probes`, { headers: admin })).json()) as {
      size: number;
      status: string;
    };
  const size = async () => (await probeSegment()).size;
  while ((await probeSegment()).status !== 'live') await new Promise((r) => setTimeout(r, 50));

  const load = await startLoad();
  const durationMs = 3_600_000;
  const loadDone = new Promise<LoadResult>((resolve) => {
    load.on('message', (message: LoadMessage) => message.kind === 'result' && resolve(message.result));
  });
  load.send({
    kind: 'run',
    url,
    path: '/v1/batch',
    headers: { 'content-type': 'application/json', authorization: writeAuth },
    connections: 4,
    durationMs,
    rate: options.rate,
  } satisfies LoadCommand);
  await new Promise((r) => setTimeout(r, 3000));
  const latencies: number[] = [];
  const started = Date.now();
  for (let i = 0; i < options.probes; i++) {
    const response = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: writeAuth },
      body: JSON.stringify({
        batch: [{ type: 'track', userId: `probe-${i}`, event: 'Bench Probe', messageId: `probe-${i}` }],
      }),
    });
    if (response.status !== 200) throw new Error(`probe ${i}: ${response.status}`);
    const acked = performance.now();
    for (let polls = 0; (await size()) < i + 1; polls++) {
      if (polls > 12_000) throw new Error(`probe ${i} never entered the segment`);
      await new Promise((r) => setTimeout(r, 5));
    }
    latencies.push(performance.now() - acked);
  }
  const probingS = (Date.now() - started) / 1000;
  const lag = (await server.state.log.headSeq()) - (server.pipeline.status().segmentsOffset ?? 0);
  load.kill();
  void loadDone;
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  const sorted = Float64Array.from(latencies).sort();
  return {
    probes: latencies.length,
    offeredEventsPerS: options.rate * 100,
    probingS: round(probingS, 1),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(percentile(sorted, 100)),
    segmentsLagAtEnd: lag,
  };
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  console.log(JSON.stringify({ machine: machine(), options }));
  const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-segments-world-'));
  try {
    let started = Date.now();
    const world = generate(options);
    console.log(
      JSON.stringify({
        world: {
          profiles: options.profiles,
          events: world.events.length,
          generatedS: round((Date.now() - started) / 1000, 1),
        },
      }),
    );
    started = Date.now();
    const build = await fullBuild(world, dir);
    console.log(JSON.stringify({ fullBuild: build, seconds: round((Date.now() - started) / 1000, 1) }));
    console.log(JSON.stringify({ incremental: incremental(world) }));
    world.events.length = 0;
    console.log(JSON.stringify({ freshness: await freshness(options) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
