// Ingest benchmark: `npm run bench -- ingest [--duration S] [--connections N] [--rate R] [--server compiled|tsx] [--postgres] [--two-process]`.
// --server: the server's code, compiled (dist/, built when stale; the default, as `npm start` runs
//    it) or the TypeScript through tsx (as the tests run it).
//
// A. baseline: a bare Fastify route that reads the body, JSON.parses it and answers 200.
// B. Rapport: createServer in this process (temp data dir), the same load on /v1/batch;
//    acked events/s (every 200 is durable: synchronous=FULL), then how long until both
//    processors (profiles, warehouse) reach the log head: the end-to-end events/s.
// C. Rapport driven at half the end-to-end rate: the latency a sustainable load sees.
// D. with --postgres: B and C again against a throwaway PostgreSQL 15 (initdb as the tests do),
//    the same server in this process with RAPPORT_DATABASE_URL set. PostgreSQL's own processes'
//    CPU is measured beside Rapport's (from /proc, the cluster's postmaster and its children).
// F. with --two-process (implies --postgres): the API in this process with the processors off
//    (RAPPORT_PROCESSORS=off) beside a worker process (`rapport serve` with the processors on)
//    on the same database, as PostgreSQL deployments run; end to end waits for the worker's offsets.
// --pg-statements (implies --postgres): the cluster loads pg_stat_statements, and after D and
//    after E the statements that took PostgreSQL's time are printed, per event, from the most
//    expensive; then 10 s with no load: PostgreSQL's CPU and statements a second (the polling).
// The load comes from a child process (bench/support/load.ts) with pre-generated bodies.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pg from 'pg';
import { ensureServerBuild } from '../scripts/build-server.mjs';
import type { RapportServer, ServerOptions } from '../src/server.ts';
import { type ChildServer, startChildServer } from '../test/support/child-server.ts';
import { postgresUnavailableReason, startThrowawayPostgres } from '../test/support/postgres.ts';
import type { LoadCommand, LoadMessage, LoadResult } from './support/load.ts';
import {
  type CpuSplit,
  cpuByThreadName,
  cpuSplit,
  MemorySampler,
  machine,
  postgresCpuMs,
  processCpuMs,
  threadCpu,
  threadSchedule,
} from './support/process-stats.ts';

interface Options {
  durationS: number;
  connections: number;
  /** Requests/s for phase C; default: half the measured end-to-end rate. */
  rate: number | undefined;
  baseline: boolean;
  /** Also run B and C against a throwaway PostgreSQL. */
  postgres: boolean;
  /** The server's code: compiled (dist/, what `npm start` runs) or the TypeScript through tsx. */
  server: ServerCode;
  /** Run B and C (the embedded engine); --no-embedded leaves only the PostgreSQL phases. */
  embedded: boolean;
  /** Also run the API and a worker as two processes on that PostgreSQL. */
  twoProcess: boolean;
  /** Print PostgreSQL's statements by time after D and E, and 10 s idle (pg_stat_statements). */
  pgStatements: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    durationS: 20,
    connections: 8,
    rate: undefined,
    baseline: true,
    server: 'compiled',
    postgres: false,
    embedded: true,
    twoProcess: false,
    pgStatements: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = Number(args[++i]);
      if (!Number.isFinite(next) || next <= 0) throw new Error(`${arg} needs a positive number`);
      return next;
    };
    if (arg === '--duration') options.durationS = value();
    else if (arg === '--connections') options.connections = Math.round(value());
    else if (arg === '--soak')
      throw new Error('the soak has its own bench: npm run bench -- soak --duration SECONDS [--postgres]');
    else if (arg === '--rate') options.rate = value();
    else if (arg === '--no-baseline') options.baseline = false;
    else if (arg === '--server') {
      const code = args[++i];
      if (code !== 'compiled' && code !== 'tsx') throw new Error('--server takes compiled or tsx');
      options.server = code;
    } else if (arg === '--postgres') options.postgres = true;
    else if (arg === '--no-embedded') {
      options.embedded = false;
      options.postgres = true;
    } else if (arg === '--two-process') {
      options.twoProcess = true;
      options.postgres = true;
    } else if (arg === '--pg-statements') {
      options.pgStatements = true;
      options.postgres = true;
    } else
      throw new Error(
        `unknown option ${arg}; options: --duration S, --connections N, --rate REQ_PER_S, --no-baseline, --server compiled|tsx, --postgres, --no-embedded, --two-process, --pg-statements`,
      );
  }
  return options;
}

/** The load generator child (bench/support/load.ts); decide.ts runs it beside its own load. */
export class LoadGenerator {
  private constructor(
    private readonly child: ChildProcess,
    readonly info: Extract<LoadMessage, { kind: 'ready' }>,
  ) {}

  static async start(): Promise<LoadGenerator> {
    const child = fork(new URL('./support/load.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const info = await new Promise<Extract<LoadMessage, { kind: 'ready' }>>((resolve, reject) => {
      child.once('message', (message: LoadMessage) => {
        if (message.kind === 'ready') resolve(message);
      });
      child.once('exit', (code) => reject(new Error(`load generator exited (${code})`)));
    });
    return new LoadGenerator(child, info);
  }

  run(command: Omit<LoadCommand, 'kind'>): Promise<LoadResult> {
    return new Promise((resolve) => {
      const onMessage = (message: LoadMessage) => {
        if (message.kind !== 'result') return;
        this.child.off('message', onMessage);
        resolve(message.result);
      };
      this.child.on('message', onMessage);
      this.child.send({ kind: 'run', ...command } satisfies LoadCommand);
    });
  }

  /** The generator's process id (its RSS is read from /proc). */
  get pid(): number {
    return this.child.pid as number;
  }

  /** The generator's own JS heap, asked over IPC (it answers between requests). */
  memory(): Promise<{ heapUsedMb: number }> {
    return new Promise((resolve) => {
      const onMessage = (message: LoadMessage) => {
        if (message.kind !== 'memory') return;
        this.child.off('message', onMessage);
        resolve({ heapUsedMb: message.heapUsedMb });
      };
      this.child.on('message', onMessage);
      this.child.send({ kind: 'memory' });
    });
  }

  stop(): void {
    this.child.send({ kind: 'exit' });
  }
}

interface PhaseResult {
  load: LoadResult;
  ackedEventsPerS: number;
  cpu: CpuSplit & {
    loadGeneratorMs: number;
    elapsedMs: number;
    byThread: Record<string, number>;
    /** Processes other than this one: PostgreSQL's, a worker process's. */
    outside: Record<string, number>;
    /** Run-queue wait (runnable, no core) in ms: the main thread, the server's threads by nice value. */
    waits: Record<string, number>;
  };
  peakRssMb: number;
  peakHeapUsedMb: number;
}

export interface RapportPhaseResult extends PhaseResult {
  /** From the first request to both processors at the log head. */
  endToEndMs: number;
  endToEndEventsPerS: number;
  /** After the last answer, how long the processors took to catch up. */
  drainMs: number;
  logEntries: number;
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

async function startBaseline(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.post('/v1/batch', async () => ({ success: true }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

export interface RapportHandle {
  server: RapportServer;
  url: string;
  headers: Record<string, string>;
  /** Threads that appeared when the server started (pipeline worker, DuckDB). */
  serverThreads: Set<number>;
  /** CPU ms so far of the processes beside this one that the phase counts, by name. */
  outsideCpu: () => Record<string, number>;
  /** Resolves when the processors have reached this seq (default: this process's pipeline). */
  waitForProcessors?: (head: number) => Promise<void>;
  close(): Promise<void>;
}

export type ServerCode = 'compiled' | 'tsx';

interface ServerModules {
  createServer: typeof import('../src/server.ts').createServer;
  loadConfig: typeof import('../src/config/index.ts').loadConfig;
  ensureCredential: typeof import('../src/auth/index.ts').ensureCredential;
}

/**
 * The server's modules as `npm start` runs them (dist/, compiled, built first when older than
 * src/) or as TypeScript through this process's tsx. Both loaded on demand, so a run holds one
 * copy of the server in memory.
 */
export async function serverModules(code: ServerCode): Promise<ServerModules> {
  if (code === 'compiled') ensureServerBuild();
  const file = (path: string) =>
    new URL(code === 'compiled' ? `../dist/${path}.js` : `../src/${path}.ts`, import.meta.url).href;
  const [server, config, auth] = await Promise.all([
    import(file('server')) as Promise<typeof import('../src/server.ts')>,
    import(file('config/index')) as Promise<typeof import('../src/config/index.ts')>,
    import(file('auth/index')) as Promise<typeof import('../src/auth/index.ts')>,
  ]);
  return {
    createServer: server.createServer,
    loadConfig: config.loadConfig,
    ensureCredential: auth.ensureCredential,
  };
}

export async function startRapport(
  databaseUrl?: string,
  extra: {
    /** Default: compiled, what production runs. */
    code?: ServerCode;
    processors?: boolean;
    outsideCpu?: () => Record<string, number>;
    /** The log's retention and compaction interval as `--log-retention` takes them ('2m', '30s'). */
    logRetention?: string;
    logCompactionInterval?: string;
    /** createServer's options (bench/steady.ts sets the pipeline's gathering). */
    server?: ServerOptions;
  } = {},
): Promise<RapportHandle> {
  const { createServer, loadConfig, ensureCredential } = await serverModules(extra.code ?? 'compiled');
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-'));
  const before = new Set(threadCpu().keys());
  const config = loadConfig(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: 'warn',
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(extra.processors === false ? { processors: false } : {}),
      ...(extra.logRetention ? { logRetention: extra.logRetention } : {}),
      ...(extra.logCompactionInterval ? { logCompactionInterval: extra.logCompactionInterval } : {}),
    },
    {},
  );
  const server = await createServer(config, extra.server);
  const writeKey = 'rk_write_bench_ingest';
  await ensureCredential(server.state, 'write', 'bench', writeKey);
  const url = await server.listen();
  const serverThreads = new Set([...threadCpu().keys()].filter((tid) => !before.has(tid)));
  return {
    server,
    url,
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
    },
    serverThreads,
    outsideCpu: extra.outsideCpu ?? (() => ({})),
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A `rapport serve` worker process on the same database, processors on. */
async function startWorkerProcess(
  databaseUrl: string,
  code: ServerCode,
): Promise<ChildServer & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-worker-'));
  const child = await startChildServer({ RAPPORT_DATABASE_URL: databaseUrl, RAPPORT_DATA_DIR: dataDir }, [], {
    from: code === 'compiled' ? 'compiled' : 'source',
  });
  return { ...child, dataDir };
}

/** Polls the processors' committed offsets in the database until both reach `head`. */
async function waitForOffsets(databaseUrl: string, head: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ profiles: string | null; warehouse: string | null }>(
        `SELECT (SELECT seq FROM rapport.processor_offsets WHERE processor = 'profiles') AS profiles,
                (SELECT seq FROM rapport.event_processor_offsets WHERE processor = 'warehouse') AS warehouse`,
      );
      const row = rows[0];
      if (Number(row?.profiles ?? 0) >= head && Number(row?.warehouse ?? 0) >= head) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}

async function measure(
  load: LoadGenerator,
  command: Omit<LoadCommand, 'kind'>,
  serverThreads: Set<number>,
  after?: () => Promise<void>,
  outsideCpu: () => Record<string, number> = () => ({}),
): Promise<PhaseResult & { afterMs: number }> {
  const memory = new MemorySampler(500);
  const outsideBefore = outsideCpu();
  const cpuBefore = threadCpu();
  const scheduleBefore = threadSchedule();
  const started = Date.now();
  const result = await load.run(command);
  const answered = Date.now();
  const waits = runQueueWaits(scheduleBefore, threadSchedule(), serverThreads);
  await after?.();
  const afterMs = Date.now() - answered;
  const cpuAfter = threadCpu();
  const cpu = cpuSplit(cpuBefore, cpuAfter, serverThreads);
  const byThread = cpuByThreadName(cpuBefore, cpuAfter);
  const outsideAfter = outsideCpu();
  const outside = Object.fromEntries(
    Object.entries(outsideAfter).map(([name, ms]) => [name, ms - (outsideBefore[name] ?? 0)]),
  );
  const peaks = memory.stop();
  return {
    load: result,
    ackedEventsPerS: result.messages / (result.elapsedMs / 1000),
    cpu: {
      ...cpu,
      loadGeneratorMs: result.cpuMs,
      elapsedMs: Date.now() - started,
      byThread,
      outside,
      waits,
    },
    ...peaks,
    afterMs,
  };
}

/**
 * How long the threads waited for a core while the load ran (not the catch-up after it): the
 * main thread, and the server's threads grouped by nice value (the log writer runs at the
 * process's, the pipeline worker and DuckDB below it).
 */
function runQueueWaits(
  before: ReturnType<typeof threadSchedule>,
  after: ReturnType<typeof threadSchedule>,
  serverThreads: Set<number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [tid, now] of after) {
    const name =
      tid === process.pid ? 'main' : serverThreads.has(tid) ? `server threads at nice ${now.nice}` : 'other';
    out[name] = (out[name] ?? 0) + now.waitMs - (before.get(tid)?.waitMs ?? 0);
  }
  return out;
}

export async function runRapportPhase(
  load: LoadGenerator,
  rapport: RapportHandle,
  command: Omit<LoadCommand, 'kind' | 'url' | 'path' | 'headers'>,
): Promise<RapportPhaseResult> {
  const { server } = rapport;
  const startSeq = await server.state.log.headSeq();
  let caughtUpAt = 0;
  const phase = await measure(
    load,
    { ...command, url: rapport.url, path: '/v1/batch', headers: rapport.headers },
    rapport.serverThreads,
    async () => {
      const head = await server.state.log.headSeq();
      if (rapport.waitForProcessors) await rapport.waitForProcessors(head);
      else await server.pipeline.waitFor(head, 30 * 60_000);
      caughtUpAt = Date.now();
    },
    rapport.outsideCpu,
  );
  const head = await server.state.log.headSeq();
  const endToEndMs = caughtUpAt - phase.load.firstSendAt;
  return {
    ...phase,
    endToEndMs,
    endToEndEventsPerS: phase.load.messages / (endToEndMs / 1000),
    drainMs: phase.afterMs,
    logEntries: head - startSeq,
  };
}

function cpuLine(label: string, phase: PhaseResult): string {
  const s = phase.cpu.elapsedMs / 1000;
  const pct = (ms: number) => `${round(ms / s / 10)}%`;
  const line = `${label}: main thread ${pct(phase.cpu.mainMs)}, pipeline worker + DuckDB ${pct(phase.cpu.pipelineMs)}, other threads ${pct(phase.cpu.otherMs)}, load generator ${pct(phase.cpu.loadGeneratorMs)} (of one core; 2 cores = 200%)`;
  const events = phase.load.messages;
  const perEvent = Object.entries(phase.cpu.byThread)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${round((ms * 1000) / events)}`)
    .join(', ');
  const total = Object.values(phase.cpu.byThread).reduce((sum, ms) => sum + ms, 0);
  const outside = Object.entries(phase.cpu.outside)
    .map(([name, ms]) => `; ${name} process(es) ${round((ms * 1000) / events)} µs per event`)
    .join('');
  const requests = phase.load.requests;
  const waits = Object.entries(phase.cpu.waits)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${round(ms / requests, 2)}`)
    .join(', ');
  return `${line}\n${label} per event, µs of CPU by thread name: ${round((total * 1000) / events)} in all (${perEvent})${outside}\n${label} run-queue wait while loaded, ms a request: ${waits}`;
}

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ')).join('\n');
}

function writeResults(kind: string, data: unknown): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = new URL(`ingest-${kind}${stamp}.json`, dir);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file.pathname;
}

/**
 * pg_stat_statements around each phase: reset before, then the statements by total time, per
 * event of the phase (server time, planning included, which for these statements is mostly
 * CPU; COMMIT's fsync wait is in COMMIT's own line). After the half load, the server is left idle for
 * IDLE_MS and PostgreSQL's CPU and statements are given per second: the processors' and the
 * conductor's polling, what a quiet installation costs.
 */
const IDLE_MS = 10_000;

function statementsAround(databaseUrl: string, postgresCpu: () => number) {
  const withClient = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const reset = () =>
    withClient(async (client) => {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await client.query('SELECT pg_stat_statements_reset()');
    });
  /** The statements since the reset, each per `unit` (an event, or a second when idle). */
  const print = (title: string, per: number, unit: string) =>
    withClient(async (client) => {
      const { rows } = await client.query<{
        calls: string;
        rows: string;
        ms: number;
        planMs: number;
        query: string;
      }>(
        `SELECT calls, rows, total_exec_time + total_plan_time AS ms, total_plan_time AS "planMs", query
         FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
         ORDER BY ms DESC LIMIT 20`,
      );
      const total = await client.query<{ ms: number; calls: string }>(
        `SELECT sum(total_exec_time + total_plan_time) AS ms, sum(calls) AS calls FROM pg_stat_statements
         WHERE query NOT LIKE '%pg_stat_statements%'`,
      );
      const all = total.rows[0];
      console.log(
        `   PostgreSQL statements ${title}: ${round(((all?.ms ?? 0) * 1000) / per, 1)} µs a ${unit} in all, ` +
          `${round(Number(all?.calls ?? 0) / per, 2)} statements a ${unit}:`,
      );
      for (const row of rows) {
        const text = row.query.replace(/\s+/g, ' ').slice(0, 110);
        console.log(
          `   ${String(round((row.ms * 1000) / per, 1)).padStart(7)} µs/${unit} (plan ${String(round((row.planMs * 1000) / per, 1)).padStart(5)})  ${String(row.calls).padStart(7)} calls  ${String(row.rows).padStart(8)} rows  ${text}`,
        );
      }
    });
  return {
    before: reset,
    after: async (label: string, phase: RapportPhaseResult) => {
      await print(`in ${label}`, phase.load.messages, 'event');
      await reset();
    },
    idle: async () => {
      await reset();
      const cpuBefore = postgresCpu();
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const cpuMs = postgresCpu() - cpuBefore;
      console.log(
        `   idle ${IDLE_MS / 1000} s, no load: PostgreSQL's processes ${round((cpuMs / IDLE_MS) * 1000, 1)} ms of CPU a second`,
      );
      await print('idle', IDLE_MS / 1000, 's');
    },
  };
}

/** B (or D) at full load, then C (or E) at half the end-to-end rate, on one server. */
async function fullAndHalf(
  load: LoadGenerator,
  rapport: RapportHandle,
  command: { connections: number; durationMs: number },
  options: Options,
  around?: ReturnType<typeof statementsAround>,
): Promise<{ full: RapportPhaseResult; half: RapportPhaseResult; rate: number }> {
  try {
    await around?.before();
    const full = await runRapportPhase(load, rapport, command);
    await around?.after('full load', full);
    const rate = options.rate ?? full.endToEndEventsPerS / 2 / load.info.messagesPerBody;
    console.log(`   then at half load (${round(rate, 1)} requests/s)…`);
    const half = await runRapportPhase(load, rapport, { ...command, rate });
    await around?.after('half load', half);
    await around?.idle();
    return { full, half, rate };
  } finally {
    await rapport.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const host = machine();
  console.log(
    `machine: ${host.cpus} × ${host.model}, ${host.memoryGb} GB, node ${host.node}, ${host.platform}\n` +
      `load: ${options.connections} connections, ${options.durationS} s per phase, /v1/batch; ` +
      `server ${options.server === 'compiled' ? 'compiled (dist/, as npm start runs it)' : 'TypeScript through tsx'}`,
  );
  const load = await LoadGenerator.start();
  console.log(
    `bodies: ${load.info.bodies} pre-generated, ${load.info.messagesPerBody} messages, ` +
      `${round(load.info.meanBytes / 1024, 1)} KB each (${round(load.info.meanBytes / load.info.messagesPerBody)} B/message)`,
  );
  try {
    const command = { connections: options.connections, durationMs: options.durationS * 1000 };
    let baseline: PhaseResult | undefined;
    if (options.baseline) {
      console.log('A. baseline (Fastify + JSON.parse)…');
      const server = await startBaseline();
      try {
        baseline = await measure(
          load,
          { ...command, url: server.url, path: '/v1/batch', headers: { 'content-type': 'application/json' } },
          new Set(),
        );
      } finally {
        await server.close();
      }
    }
    let embedded: Awaited<ReturnType<typeof fullAndHalf>> | undefined;
    if (options.embedded) {
      console.log('B. Rapport at full load…');
      embedded = await fullAndHalf(
        load,
        await startRapport(undefined, { code: options.server }),
        command,
        options,
      );
    }
    let postgres: Awaited<ReturnType<typeof fullAndHalf>> | undefined;
    let twoProcess: Awaited<ReturnType<typeof fullAndHalf>> | undefined;
    if (options.postgres) {
      const reason = postgresUnavailableReason();
      if (reason) throw new Error(`--postgres needs PostgreSQL 15: ${reason}`);
      const cluster = await startThrowawayPostgres(
        options.pgStatements
          ? {
              settings: [
                'shared_preload_libraries=pg_stat_statements',
                'pg_stat_statements.track=all',
                'pg_stat_statements.track_planning=on',
              ],
            }
          : {},
      );
      const clusterDir = cluster.ctlArgs[1] as string;
      const postgresCpu = () => ({ PostgreSQL: postgresCpuMs(clusterDir) });
      try {
        console.log('D. Rapport on PostgreSQL at full load…');
        postgres = await fullAndHalf(
          load,
          await startRapport(cluster.url, { code: options.server, outsideCpu: postgresCpu }),
          command,
          options,
          options.pgStatements ? statementsAround(cluster.url, () => postgresCpuMs(clusterDir)) : undefined,
        );
        if (options.twoProcess) {
          console.log('F. API process (processors off) beside a worker process, on PostgreSQL, full load…');
          const admin = new pg.Client({ connectionString: cluster.url });
          await admin.connect();
          await admin.query('CREATE DATABASE two_process');
          await admin.end();
          const url = cluster.url.replace(/\/postgres$/, '/two_process');
          const worker = await startWorkerProcess(url, options.server);
          try {
            const workerPid = worker.process.pid as number;
            const api = await startRapport(url, {
              code: options.server,
              processors: false,
              outsideCpu: () => ({ worker: processCpuMs(workerPid), ...postgresCpu() }),
            });
            twoProcess = await fullAndHalf(
              load,
              { ...api, waitForProcessors: (head) => waitForOffsets(url, head) },
              command,
              options,
            );
          } finally {
            await worker.kill('SIGTERM');
            rmSync(worker.dataDir, { recursive: true, force: true });
          }
        }
      } finally {
        cluster.stop();
      }
    }

    const f = (n: number, d = 0) => round(n, d).toLocaleString('en-US');
    const rows = [
      ['', 'events/s acked', 'events/s end to end', 'p50 ms', 'p99 ms', 'peak RSS MB', 'requests (ok/all)'],
    ];
    if (baseline) {
      rows.push([
        'A baseline (JSON.parse)',
        f(baseline.ackedEventsPerS),
        '—',
        f(baseline.load.latencyMs.p50, 1),
        f(baseline.load.latencyMs.p99, 1),
        f(baseline.peakRssMb),
        `${baseline.load.ok}/${baseline.load.requests}`,
      ]);
    }
    const phases = (
      rapport: NonNullable<typeof embedded>,
      full: string,
      half: string,
    ): Array<readonly [string, RapportPhaseResult]> => [
      [full, rapport.full],
      [`${half}, ${f(rapport.rate * load.info.messagesPerBody)} ev/s offered`, rapport.half],
    ];
    for (const [label, phase] of [
      ...(embedded ? phases(embedded, 'B Rapport, full load', 'C Rapport') : []),
      ...(postgres ? phases(postgres, 'D PostgreSQL, full load', 'E PostgreSQL') : []),
      ...(twoProcess ? phases(twoProcess, 'F two processes, full load', 'G two processes') : []),
    ]) {
      rows.push([
        label,
        f(phase.ackedEventsPerS),
        f(phase.endToEndEventsPerS),
        f(phase.load.latencyMs.p50, 1),
        f(phase.load.latencyMs.p99, 1),
        f(phase.peakRssMb),
        `${phase.load.ok}/${phase.load.requests}`,
      ]);
    }
    console.log(`\n${table(rows)}\n`);
    const full = embedded?.full;
    const half = embedded?.half;
    if (baseline && full) {
      console.log(
        `ratio B/A: acked ${round(full.ackedEventsPerS / baseline.ackedEventsPerS, 3)}, ` +
          `end to end ${round(full.endToEndEventsPerS / baseline.ackedEventsPerS, 3)}`,
      );
    }
    if (full) {
      console.log(
        `B: processors caught up ${f(full.drainMs)} ms after the last answer; ${full.logEntries} log entries; ` +
          `peak heap ${f(full.peakHeapUsedMb)} MB (main thread only; the worker's heap is in RSS)`,
      );
    }
    if (baseline && postgres) {
      console.log(
        `ratio D/A (PostgreSQL): acked ${round(postgres.full.ackedEventsPerS / baseline.ackedEventsPerS, 3)}, ` +
          `end to end ${round(postgres.full.endToEndEventsPerS / baseline.ackedEventsPerS, 3)}`,
      );
    }
    if (baseline) console.log(cpuLine('CPU A', baseline));
    if (full) console.log(cpuLine('CPU B', full));
    if (half) console.log(cpuLine('CPU C', half));
    // PostgreSQL's own processes are not in these figures: this process only.
    if (postgres) console.log(cpuLine('CPU D (this process)', postgres.full));
    if (postgres) console.log(cpuLine('CPU E (this process)', postgres.half));
    if (baseline && twoProcess) {
      console.log(
        `ratio F/A (two processes): acked ${round(twoProcess.full.ackedEventsPerS / baseline.ackedEventsPerS, 3)}, ` +
          `end to end ${round(twoProcess.full.endToEndEventsPerS / baseline.ackedEventsPerS, 3)}`,
      );
    }
    if (twoProcess) console.log(cpuLine('CPU F (API process)', twoProcess.full));
    if (twoProcess) console.log(cpuLine('CPU G (API process)', twoProcess.half));
    for (const [name, phase] of [
      ['B', full],
      ['C', half],
      ['D', postgres?.full],
      ['E', postgres?.half],
    ] as const) {
      if (!phase) continue;
      const statuses = Object.entries(phase.load.statuses)
        .map(([code, n]) => `${code}×${n}`)
        .join(' ');
      if (phase.load.failed > 0) console.log(`${name} failures: ${statuses} ${phase.load.errors.join('; ')}`);
    }
    const file = writeResults('', {
      machine: host,
      options,
      bodies: load.info,
      baseline,
      rapport: full,
      halfLoad: embedded ? { requestsPerS: embedded.rate, ...half } : undefined,
      postgres: postgres
        ? { full: postgres.full, halfLoad: { requestsPerS: postgres.rate, ...postgres.half } }
        : undefined,
      twoProcess: twoProcess
        ? { full: twoProcess.full, halfLoad: { requestsPerS: twoProcess.rate, ...twoProcess.half } }
        : undefined,
      ratio:
        baseline && full
          ? {
              acked: full.ackedEventsPerS / baseline.ackedEventsPerS,
              endToEnd: full.endToEndEventsPerS / baseline.ackedEventsPerS,
            }
          : undefined,
    });
    console.log(`raw results: ${file}`);
  } finally {
    load.stop();
  }
}
export default run;
