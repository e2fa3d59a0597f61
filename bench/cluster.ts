// Cluster benchmark: `npm run bench -- cluster [--messages N] [--connections C] [--people P]`.
//
// The same load on one PostgreSQL and on a Citus cluster (a coordinator and two workers, all on
// this machine), each a throwaway initdb as the tests start them:
// A. ingest: N messages in batches of 100 over C connections to a Rapport server in this
//    process (`--database` the node or the coordinator); acknowledged messages/s, then the
//    end-to-end rate (until the profiles and warehouse processors reach the log head);
// B. segment build: a segment saved over that history (POST /api/segments, then polled until
//    it is live: built from the event store), and a preview of another rule; milliseconds each.
// The ratio is Citus / one PostgreSQL. On one 2-core machine the three Citus nodes share the
// cores that one PostgreSQL has to itself, so this shows the coordination cost Citus adds, not
// the scale-out it buys (docs/scaling.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { ensureCredential } from '../src/auth/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { createServer } from '../src/server.ts';
import { citusUnavailableReason, startThrowawayCitus } from '../test/support/citus.ts';
import { postgresUnavailableReason, startThrowawayPostgres } from '../test/support/postgres.ts';
import { machine } from './support/process-stats.ts';

interface Options {
  messages: number;
  connections: number;
  people: number;
}

function parseOptions(args: string[]): Options {
  const options: Options = { messages: 40_000, connections: 8, people: 2_000 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = Number(args[++i]);
    if (!Number.isInteger(next) || next <= 0) throw new Error(`${arg} needs a positive whole number`);
    if (arg === '--messages') options.messages = next;
    else if (arg === '--connections') options.connections = next;
    else if (arg === '--people') options.people = next;
    else throw new Error(`unknown option ${arg}; options: --messages N, --connections C, --people P`);
  }
  return options;
}

/** Batch n: 100 messages from `people` people, one in five an identify, the rest purchases and views. */
function batchOf(n: number, people: number): object[] {
  return Array.from({ length: 100 }, (_, i) => {
    const k = n * 100 + i;
    const person = (k * 7919) % people;
    const base = {
      messageId: `bench-${k}`,
      userId: `user-${person}`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + k * 60_000),
    };
    if (k % 5 === 0)
      return { ...base, type: 'identify', traits: { plan: person % 3 === 0 ? 'pro' : 'free' } };
    if (k % 4 === 0)
      return { ...base, type: 'track', event: 'Order Completed', properties: { revenue: (k % 90) + 10 } };
    return { ...base, type: 'track', event: 'Product Viewed', properties: { sku: `sku-${k % 200}` } };
  });
}

interface Result {
  ackedPerS: number;
  endToEndPerS: number;
  segmentBuildMs: number;
  previewMs: number;
  members: number;
}

async function runAgainst(databaseUrl: string, options: Options): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-cluster-'));
  const config = loadConfig({ port: 0, host: '127.0.0.1', dataDir, databaseUrl, logLevel: 'warn' }, {});
  const server = await createServer(config);
  try {
    const writeKey = 'rk_write_bench_cluster';
    const adminToken = 'rk_admin_bench_cluster';
    await ensureCredential(server.state, 'write', 'bench', writeKey);
    await ensureCredential(server.state, 'admin', 'bench', adminToken);
    const url = await server.listen();
    const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
    const batches = Math.ceil(options.messages / 100);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (next < batches) {
          const n = next++;
          const response = await fetch(`${url}/v1/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: auth },
            body: JSON.stringify({ batch: batchOf(n, options.people) }),
          });
          if (!response.ok) throw new Error(`batch ${n}: ${response.status} ${await response.text()}`);
        }
      }),
    );
    const acked = performance.now();
    await server.pipeline.waitFor(await server.state.log.headSeq(), 30 * 60_000);
    const processed = performance.now();
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` };
    const segmentStarted = performance.now();
    const created = await fetch(`${url}/api/segments`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        name: 'Repeat buyers',
        text: 'performed "Order Completed" at least 3 times in last 3650 days',
      }),
    });
    if (!created.ok) throw new Error(`segment: ${created.status} ${await created.text()}`);
    // The build runs after the 201: poll until the segment is live.
    let segment = (await created.json()) as { id: string; status: string; size?: number };
    while (segment.status !== 'live') {
      await new Promise((r) => setTimeout(r, 20));
      const answer = await fetch(`${url}/api/segments/${encodeURIComponent(segment.id)}`, { headers: admin });
      segment = (await answer.json()) as typeof segment;
    }
    const segmentBuildMs = performance.now() - segmentStarted;
    // On Citus a read racing the build's commit can see one worker's share of the members
    // (docs/scaling.md): read the size until two reads agree.
    for (let previous = -1; segment.size !== previous; ) {
      previous = segment.size ?? -1;
      await new Promise((r) => setTimeout(r, 200));
      const answer = await fetch(`${url}/api/segments/${encodeURIComponent(segment.id)}`, { headers: admin });
      segment = (await answer.json()) as typeof segment;
    }
    const previewStarted = performance.now();
    const preview = await fetch(`${url}/api/segments/preview`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ text: 'performed "Product Viewed" in last 3650 days and trait plan = "pro"' }),
    });
    if (!preview.ok) throw new Error(`preview: ${preview.status} ${await preview.text()}`);
    const previewMs = performance.now() - previewStarted;
    const messages = batches * 100;
    return {
      ackedPerS: messages / ((acked - started) / 1000),
      endToEndPerS: messages / ((processed - started) / 1000),
      segmentBuildMs,
      previewMs,
      members: segment.size ?? -1,
    };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function freshDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE DATABASE rapport_bench');
  await client.end();
  const parsed = new URL(url);
  parsed.pathname = '/rapport_bench';
  return parsed.toString();
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1));

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const reason = postgresUnavailableReason() ?? citusUnavailableReason();
  if (reason) throw new Error(`bench cluster needs PostgreSQL 15 and Citus: ${reason}`);
  const host = machine();
  console.log(
    `machine: ${host.cpus} × ${host.model}, ${host.memoryGb} GB, node ${host.node}, ${host.platform}`,
  );
  console.log(
    `load: ${options.messages} messages from ${options.people} people, ${options.connections} connections`,
  );

  console.log('A. one PostgreSQL…');
  const single = await startThrowawayPostgres();
  let one: Result;
  try {
    one = await runAgainst(await freshDatabase(single.url), options);
  } finally {
    single.stop();
  }
  console.log('B. Citus: coordinator + 2 workers…');
  const cluster = await startThrowawayCitus();
  let citus: Result;
  try {
    // The cluster's own `postgres` database already has the workers registered.
    citus = await runAgainst(cluster.coordinator.url, options);
  } finally {
    cluster.stop();
  }
  const rows: Array<[string, number, number, boolean]> = [
    ['ingest acked, messages/s', one.ackedPerS, citus.ackedPerS, true],
    ['end to end, messages/s', one.endToEndPerS, citus.endToEndPerS, true],
    ['segment build over the history, ms', one.segmentBuildMs, citus.segmentBuildMs, false],
    ['segment preview, ms', one.previewMs, citus.previewMs, false],
  ];
  console.log('\n| | one PostgreSQL | Citus (1 + 2) | Citus / one |\n|---|---|---|---|');
  for (const [label, a, b] of rows)
    console.log(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(2)} |`);
  console.log(`\nsegment members: ${one.members} on one PostgreSQL, ${citus.members} on Citus (must agree)`);
  if (one.members !== citus.members) process.exitCode = 1;
}

export default run;
