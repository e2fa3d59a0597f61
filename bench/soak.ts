// Soak: `npm run bench -- soak [--duration S] [--warmup S] [--every S] [--rate REQ_PER_S]
//        [--calibrate S] [--connections N] [--postgres] [--gc] [--heap-snapshots]`.
//
// Is memory flat under a steady load? Rapport in this process (embedded engines, or PostgreSQL
// with --postgres) takes /v1/batch at half the end-to-end rate it reached in a short full-load
// calibration (or at --rate), for --duration seconds (600 by default). Every --every seconds
// (10) it samples the process's RSS, each thread's JavaScript heap (the main thread's
// process.memoryUsage(), the workers' through the inspector: bench/support/thread-heaps.ts),
// DuckDB's own count (duckdb_memory()), PostgreSQL's processes' Pss, what is left of RSS
// (SQLite's page caches, the drivers, thread stacks), and the log's backlog: how far each
// processor is behind the log's head, so growth from an unprocessed backlog is told apart from a
// leak. After the warm-up (120 s) the slope of each series is fitted by least squares and
// reported in MB per minute with R². --gc collects garbage in every isolate before each sample
// (the heaps then read live objects only; it stops each thread briefly). --heap-snapshots takes
// every thread's heap snapshot at the end of the warm-up and after the load (once the processors
// caught up) and prints which constructors grew between the two.
// The baseline in the same process: the load generator's own process, sampled the same way
// (RSS and heap); it allocates per request too and holds nothing, so its slope is what flat
// looks like under this sampler on this machine.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename } from 'node:path';
import { postgresUnavailableReason, startThrowawayPostgres } from '../test/support/postgres.ts';
import { LoadGenerator, type RapportHandle, runRapportPhase, startRapport } from './ingest.ts';
import { type CountChange, grownConstructors, readSnapshotCounts } from './support/heap-diff.ts';
import { machine, postgresPssMb, trend } from './support/process-stats.ts';
import { ThreadHeaps } from './support/thread-heaps.ts';

interface Options {
  durationS: number;
  warmupS: number;
  everyS: number;
  calibrateS: number;
  connections: number;
  rate: number | undefined;
  postgres: boolean;
  gc: boolean;
  heapSnapshots: boolean;
  /** Seconds the log keeps an entry (and its messageId in the dedupe window); default: the server's (7 days). */
  logRetentionS: number | undefined;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    durationS: 600,
    warmupS: 120,
    everyS: 10,
    calibrateS: 20,
    connections: 8,
    rate: undefined,
    postgres: false,
    gc: false,
    heapSnapshots: false,
    logRetentionS: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = Number(args[++i]);
      if (!Number.isFinite(next) || next <= 0) throw new Error(`${arg} needs a positive number`);
      return next;
    };
    if (arg === '--duration') options.durationS = value();
    else if (arg === '--warmup') options.warmupS = value();
    else if (arg === '--every') options.everyS = value();
    else if (arg === '--calibrate') options.calibrateS = value();
    else if (arg === '--connections') options.connections = Math.round(value());
    else if (arg === '--rate') options.rate = value();
    else if (arg === '--postgres') options.postgres = true;
    else if (arg === '--gc') options.gc = true;
    else if (arg === '--heap-snapshots') options.heapSnapshots = true;
    else if (arg === '--log-retention') options.logRetentionS = value();
    else
      throw new Error(
        `unknown option ${arg}; options: --duration S, --warmup S, --every S, --calibrate S, --connections N, --rate REQ_PER_S, --log-retention S, --postgres, --gc, --heap-snapshots`,
      );
  }
  if (options.warmupS >= options.durationS) throw new Error('--warmup must be shorter than --duration');
  return options;
}

/** One sample; memory in MB. */
interface Sample {
  second: number;
  loadAverage: number;
  rssMb: number;
  /** Used bytes of each thread's JS heap ('main', 'pipeline-worker-entry', 'log-writer-entry'). */
  heapUsedMb: Record<string, number>;
  heapTotalMb: Record<string, number>;
  /** Buffers outside the main heap (request bodies, DuckDB results crossing threads). */
  mainExternalMb: number;
  duckdbMb: number | null;
  postgresMb: number | null;
  /** RSS less every heap's reservation and DuckDB's count: SQLite's caches, drivers, stacks. */
  restMb: number;
  logHead: number;
  /** Entries the log keeps: the messageIds every appending connection holds in its dedupe window. */
  logEntries: number;
  /** Log entries each processor has not applied yet. */
  backlog: Record<string, number>;
  /** The load generator's process, sampled beside (the baseline). */
  generatorRssMb: number;
  generatorHeapUsedMb: number;
}

const MB = 2 ** 20;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** DuckDB's own account of its memory (buffer manager), through the pipeline worker that owns it. */
async function duckdbMemoryMb(rapport: RapportHandle): Promise<number | null> {
  if (rapport.server.state.engine !== 'sqlite') return null;
  const rows = await rapport.server.pipeline
    .query('SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory()')
    .catch(() => undefined);
  return rows ? Number(rows[0]?.bytes) / MB : null;
}

async function backlogOf(
  rapport: RapportHandle,
): Promise<{ head: number; entries: number; backlog: Record<string, number> }> {
  const { state, pipeline } = rapport.server;
  const head = await state.log.headSeq();
  const entries = await state.log.countEntries();
  const status = pipeline.status();
  const offsets: Record<string, number> = {
    profiles: status.profilesOffset,
    warehouse: status.warehouseOffset,
    ...(await state.listProcessorOffsets()),
  };
  return {
    head,
    entries,
    backlog: Object.fromEntries(Object.entries(offsets).map(([name, seq]) => [name, head - seq])),
  };
}

/** RSS and heap of the load generator's process (Linux /proc; its heap through its own report). */
function processRssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(match?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

class Sampler {
  readonly samples: Sample[] = [];
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** While set (a heap snapshot holds the threads), ticks are skipped rather than queued. */
  paused = false;

  constructor(
    private readonly rapport: RapportHandle,
    private readonly heaps: ThreadHeaps,
    private readonly load: LoadGenerator,
    private readonly options: Options & { postgresDir?: string },
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.everyS * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running || this.paused) return;
    this.running = this.sample().finally(() => {
      this.running = undefined;
    });
  }

  private async sample(): Promise<void> {
    if (this.options.gc) await this.heaps.collectGarbage();
    const [heaps, duckdbMb, log, generator] = await Promise.all([
      this.heaps.usage(),
      duckdbMemoryMb(this.rapport),
      backlogOf(this.rapport),
      this.load.memory().catch(() => ({ heapUsedMb: Number.NaN })),
    ]);
    const usage = process.memoryUsage();
    const rssMb = usage.rss / MB;
    const heapTotal = Object.values(heaps).reduce((sum, h) => sum + h.totalMb, 0);
    const sample: Sample = {
      second: Math.round((Date.now() - this.started) / 1000),
      loadAverage: loadavg()[0] as number,
      rssMb,
      heapUsedMb: Object.fromEntries(Object.entries(heaps).map(([name, h]) => [name, h.usedMb])),
      heapTotalMb: Object.fromEntries(Object.entries(heaps).map(([name, h]) => [name, h.totalMb])),
      mainExternalMb: usage.external / MB,
      duckdbMb,
      postgresMb: this.options.postgresDir ? postgresPssMb(this.options.postgresDir) : null,
      restMb: rssMb - heapTotal - (duckdbMb ?? 0),
      logHead: log.head,
      logEntries: log.entries,
      backlog: log.backlog,
      generatorRssMb: processRssMb(this.load.pid),
      generatorHeapUsedMb: generator.heapUsedMb,
    };
    this.samples.push(sample);
    const heapText = Object.entries(sample.heapUsedMb)
      .map(([name, mb]) => `${shortName(name)} ${round(mb)}`)
      .join(', ');
    const maxBacklog = Math.max(0, ...Object.values(sample.backlog));
    console.log(
      `  ${String(sample.second).padStart(4)} s  load ${sample.loadAverage.toFixed(2)}  rss ${round(rssMb)} MB  heaps used [${heapText}]` +
        `  duckdb ${sample.duckdbMb === null ? '—' : round(sample.duckdbMb)}` +
        `${sample.postgresMb === null ? '' : `  postgres ${round(sample.postgresMb)}`}` +
        `  rest ${round(sample.restMb)}  backlog ${maxBacklog}  log entries ${sample.logEntries}`,
    );
  }
}

const shortName = (label: string) => label.replace(/-entry$/, '');

export interface SeriesSummary {
  name: string;
  first: number;
  last: number;
  min: number;
  max: number;
  /** Units per minute, least squares over the samples after the warm-up. */
  slopePerMin: number;
  rSquared: number;
}

/** Each series over the samples from `fromSecond` on: where it started and ended, and its slope. */
export function summarise(
  samples: Sample[],
  fromSecond: number,
  series: Record<string, (sample: Sample) => number | null | undefined>,
): SeriesSummary[] {
  const window = samples.filter((s) => s.second >= fromSecond);
  const out: SeriesSummary[] = [];
  for (const [name, pick] of Object.entries(series)) {
    const points = window
      .map((s) => ({ x: s.second / 60, y: pick(s) }))
      .filter((p): p is { x: number; y: number } => typeof p.y === 'number' && Number.isFinite(p.y));
    if (points.length < 2) continue;
    const ys = points.map((p) => p.y);
    const fit = trend(points);
    out.push({
      name,
      first: ys[0] as number,
      last: ys[ys.length - 1] as number,
      min: Math.min(...ys),
      max: Math.max(...ys),
      slopePerMin: fit.slope,
      rSquared: fit.rSquared,
    });
  }
  return out;
}

function resultsDir(): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = new URL(`./results/soak-${stamp}/`, import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function heapDiffs(
  before: Record<string, string>,
  after: Record<string, string>,
): Promise<Record<string, CountChange[]>> {
  const out: Record<string, CountChange[]> = {};
  for (const [label, file] of Object.entries(before)) {
    const later = after[label];
    if (!later) continue;
    out[label] = grownConstructors(readSnapshotCounts(file), readSnapshotCounts(later));
  }
  return out;
}

function printDiffs(diffs: Record<string, CountChange[]>): void {
  for (const [label, changes] of Object.entries(diffs)) {
    console.log(`\nheap snapshot diff, ${shortName(label)} (end of warm-up → after the load), grown most:`);
    for (const change of changes.slice(0, 12)) {
      console.log(
        `  ${change.name.slice(0, 60).padEnd(60)}  ${String(change.before.count).padStart(8)} → ${String(change.after.count).padStart(8)}` +
          `  ${change.bytesDelta >= 0 ? '+' : ''}${round(change.bytesDelta / 1024)} KB`,
      );
    }
  }
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const host = machine();
  console.log(
    `machine: ${host.cpus} × ${host.model}, ${host.memoryGb} GB, node ${host.node}, ${host.platform}; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const heaps = await ThreadHeaps.attach();
  const load = await LoadGenerator.start();
  let cluster: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
  let rapport: RapportHandle | undefined;
  try {
    if (options.postgres) {
      const reason = postgresUnavailableReason();
      if (reason) throw new Error(`--postgres needs PostgreSQL 15: ${reason}`);
      cluster = await startThrowawayPostgres();
    }
    const retention = options.logRetentionS;
    rapport = await startRapport(
      cluster?.url,
      retention
        ? {
            logRetention: `${retention}s`,
            logCompactionInterval: `${Math.max(1, Math.round(retention / 4))}s`,
          }
        : {},
    );
    const engine = cluster ? 'PostgreSQL' : 'embedded (SQLite + DuckDB)';
    console.log(
      `Rapport on ${engine}; threads with a JS heap: main, ${heaps.labels().map(shortName).join(', ')}`,
    );
    let rate = options.rate;
    let calibration: { endToEndEventsPerS: number; ackedEventsPerS: number } | undefined;
    if (rate === undefined) {
      console.log(`calibrating: ${options.calibrateS} s at full load…`);
      const phase = await runRapportPhase(load, rapport, {
        connections: options.connections,
        durationMs: options.calibrateS * 1000,
      });
      calibration = { endToEndEventsPerS: phase.endToEndEventsPerS, ackedEventsPerS: phase.ackedEventsPerS };
      rate = phase.endToEndEventsPerS / 2 / load.info.messagesPerBody;
      console.log(
        `end to end ${Math.round(phase.endToEndEventsPerS)} events/s, so half load is ${round(rate)} requests/s`,
      );
    }
    const dir = resultsDir();
    const clusterDir = cluster?.ctlArgs[1];
    const sampler = new Sampler(rapport, heaps, load, {
      ...options,
      ...(clusterDir ? { postgresDir: clusterDir } : {}),
    });
    console.log(
      `soak: ${options.durationS} s at ${round(rate)} requests/s (${Math.round(rate * load.info.messagesPerBody)} events/s offered), ` +
        `a sample every ${options.everyS} s, slopes after ${options.warmupS} s`,
    );
    sampler.start();
    let snapshotsBefore: Record<string, string> | undefined;
    const warmedUp = options.heapSnapshots
      ? new Promise<void>((resolve) =>
          setTimeout(async () => {
            sampler.paused = true;
            await sampler.stop().catch(() => undefined);
            snapshotsBefore = await heaps.snapshots(dir, 'warm');
            sampler.paused = false;
            sampler.start();
            console.log(
              `  heap snapshots at the end of the warm-up: ${Object.keys(snapshotsBefore).join(', ')}`,
            );
            resolve();
          }, options.warmupS * 1000),
        )
      : Promise.resolve();
    const result = await load.run({
      url: rapport.url,
      path: '/v1/batch',
      headers: rapport.headers,
      connections: options.connections,
      durationMs: options.durationS * 1000,
      rate,
    });
    await warmedUp;
    await sampler.stop();
    const samples = sampler.samples;
    let diffs: Record<string, CountChange[]> | undefined;
    if (options.heapSnapshots && snapshotsBefore) {
      // The second snapshot once the processors caught up, so a backlog is not read as a leak.
      const head = await rapport.server.state.log.headSeq();
      await rapport.server.pipeline.waitFor(head, 120_000).catch(() => undefined);
      const snapshotsAfter = await heaps.snapshots(dir, 'end');
      diffs = await heapDiffs(snapshotsBefore, snapshotsAfter);
      printDiffs(diffs);
    }

    const threads = [...new Set(samples.flatMap((s) => Object.keys(s.heapUsedMb)))];
    const series: Record<string, (s: Sample) => number | null | undefined> = {
      'RSS MB': (s) => s.rssMb,
      ...Object.fromEntries(
        threads.map((t) => [`heap used, ${shortName(t)} MB`, (s: Sample) => s.heapUsedMb[t]]),
      ),
      ...Object.fromEntries(
        threads.map((t) => [`heap total, ${shortName(t)} MB`, (s: Sample) => s.heapTotalMb[t]]),
      ),
      'main external MB': (s) => s.mainExternalMb,
      'DuckDB MB': (s) => s.duckdbMb,
      'PostgreSQL Pss MB': (s) => s.postgresMb,
      'rest of RSS MB': (s) => s.restMb,
      'backlog, entries (max over processors)': (s) => Math.max(0, ...Object.values(s.backlog)),
      'log entries kept (dedupe window)': (s) => s.logEntries,
      'load average (1 min)': (s) => s.loadAverage,
      'baseline: load generator RSS MB': (s) => s.generatorRssMb,
      'baseline: load generator heap used MB': (s) => s.generatorHeapUsedMb,
    };
    const summary = summarise(samples, options.warmupS, series);
    console.log(
      `\nsoak: ${result.ok}/${result.requests} requests 200, p50 ${round(result.latencyMs.p50)} ms, p99 ${round(result.latencyMs.p99)} ms; ` +
        `${samples.length} samples, slopes over ${options.warmupS}-${options.durationS} s:`,
    );
    const header = ['series', 'first', 'last', 'min', 'max', 'per min', 'R²'];
    const rows = summary.map((s) => [
      s.name,
      String(round(s.first)),
      String(round(s.last)),
      String(round(s.min)),
      String(round(s.max)),
      `${s.slopePerMin >= 0 ? '+' : ''}${round(s.slopePerMin, 2)}`,
      String(round(s.rSquared, 2)),
    ]);
    const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => (r[c] ?? '').length)));
    for (const row of [header, ...rows])
      console.log(`  ${row.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ')}`);
    const backlog = summary.find((s) => s.name.startsWith('backlog'));
    if (backlog && backlog.slopePerMin > 0 && backlog.rSquared > 0.5) {
      console.log(
        `the backlog grew (${round(backlog.slopePerMin)} entries/min): the processors fell behind the offered load, ` +
          'so memory growth here may be the backlog, not a leak; rerun at a lower --rate',
      );
    }
    const file = `${dir}soak.json`;
    writeFileSync(
      file,
      `${JSON.stringify({ machine: host, options, engine, rate, calibration, load: result, summary, samples, heapDiffs: diffs }, null, 2)}\n`,
    );
    console.log(
      `raw results: ${file}${options.heapSnapshots ? ` (heap snapshots beside it in ${basename(dir)})` : ''}`,
    );
  } finally {
    load.stop();
    await rapport?.close();
    cluster?.stop();
    heaps.detach();
  }
}
export default run;
