// What the benchmark process itself costs: memory sampled on a timer, and CPU per thread from
// /proc (Linux), so the HTTP thread can be told apart from the pipeline worker and DuckDB.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { linearRegression, linearRegressionLine, rSquared } from 'simple-statistics';

export interface MemorySample {
  /** ms since the sampler started */
  at: number;
  rssMb: number;
  heapUsedMb: number;
}

export class MemorySampler {
  readonly samples: MemorySample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(everyMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): MemorySample {
    const usage = process.memoryUsage();
    const sample = {
      at: Date.now() - this.started,
      rssMb: usage.rss / 2 ** 20,
      heapUsedMb: usage.heapUsed / 2 ** 20,
    };
    this.samples.push(sample);
    return sample;
  }

  stop(): { peakRssMb: number; peakHeapUsedMb: number } {
    clearInterval(this.timer);
    this.sample();
    return {
      peakRssMb: Math.max(...this.samples.map((s) => s.rssMb)),
      peakHeapUsedMb: Math.max(...this.samples.map((s) => s.heapUsedMb)),
    };
  }
}

const TICKS_PER_SECOND = 100;

/** Each thread of this process: its id and the text of its /proc/self/task/TID/FILE; none off Linux. */
function eachThread(files: readonly string[], visit: (tid: number, texts: string[]) => void): void {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      visit(
        Number(tid),
        files.map((file) => readFileSync(`/proc/self/task/${tid}/${file}`, 'utf8')),
      );
    } catch {
      // the thread ended between readdir and read
    }
  }
}

/** The fields of a /proc stat line after the command name: [0] is field 3 (state). */
const statFields = (stat: string): string[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** CPU ms per thread id of this process (utime + stime), or an empty map off Linux. */
export function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  eachThread(['stat'], (tid, [stat]) => {
    const fields = statFields(stat as string);
    // utime and stime are fields 14 and 15.
    out.set(tid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
  });
  return out;
}

/**
 * Per thread id: ms spent running and ms spent runnable but waiting for a core (the run-queue
 * wait, /proc/self/task/TID/schedstat), and its nice value; empty off Linux.
 */
export function threadSchedule(): Map<number, { runMs: number; waitMs: number; nice: number }> {
  const out = new Map<number, { runMs: number; waitMs: number; nice: number }>();
  eachThread(['schedstat', 'stat'], (tid, [schedstat, stat]) => {
    const [run, wait] = (schedstat as string).split(' ');
    const nice = Number(statFields(stat as string)[16]);
    out.set(tid, { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6, nice });
  });
  return out;
}

/** CPU ms per thread name (Linux `comm`: node, libuv-worker, V8 workers, DuckDB's threads). */
export function cpuByThreadName(
  before: Map<number, number>,
  after: Map<number, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [tid, ms] of after) {
    let name = 'gone';
    try {
      name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {}
    if (tid === process.pid) name = 'main';
    out[name] = (out[name] ?? 0) + ms - (before.get(tid) ?? 0);
  }
  return out;
}

export interface CpuSplit {
  /** The main thread: HTTP, validation, the log append (group commit). */
  mainMs: number;
  /** Threads that appeared when the server started: the pipeline worker and DuckDB's threads. */
  pipelineMs: number;
  /** Everything else in the process: V8's GC and compiler threads, libuv's pool. */
  otherMs: number;
}

export function cpuSplit(
  before: Map<number, number>,
  after: Map<number, number>,
  serverThreads: Set<number>,
): CpuSplit {
  const split = { mainMs: 0, pipelineMs: 0, otherMs: 0 };
  for (const [tid, ms] of after) {
    const delta = ms - (before.get(tid) ?? 0);
    if (tid === process.pid) split.mainMs += delta;
    else if (serverThreads.has(tid)) split.pipelineMs += delta;
    else split.otherMs += delta;
  }
  return split;
}

/** Least-squares slope of y over x (simple-statistics), NaN under two points. */
export function slope(points: { x: number; y: number }[]): number {
  return trend(points).slope;
}

/** The least-squares line through the points, and how much of y's variance it explains. */
export function trend(points: { x: number; y: number }[]): {
  slope: number;
  intercept: number;
  rSquared: number;
} {
  const pairs = points.filter((p) => Number.isFinite(p.y)).map((p) => [p.x, p.y]);
  if (pairs.length < 2) return { slope: Number.NaN, intercept: Number.NaN, rSquared: Number.NaN };
  const { m, b } = linearRegression(pairs);
  return { slope: m, intercept: b, rSquared: rSquared(pairs, linearRegressionLine({ m, b })) };
}

export function machine(): { cpus: number; model: string; memoryGb: number; node: string; platform: string } {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** utime + stime of a whole process (all its threads) in ms, or 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU ms of the children a process has waited for (cutime + cstime): those that exited. */
function exitedChildrenCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU ms of a PostgreSQL cluster: the postmaster (from its data directory's postmaster.pid),
 * every process it forked that is alive now, and those that exited (autovacuum workers, a
 * pool's idle connections closed), which the postmaster has reaped into its children's times.
 */
export function postgresCpuMs(dataDir: string): number {
  const pids = postgresPids(dataDir);
  const live = pids.reduce((total, pid) => total + processCpuMs(pid), 0);
  return pids[0] === undefined ? live : live + exitedChildrenCpuMs(pids[0]);
}

/** The processes of a PostgreSQL cluster: its postmaster (from postmaster.pid) and its children. */
function postgresPids(dataDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === postmaster) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/**
 * Memory of a PostgreSQL cluster in MB: the proportional set size (Pss, Linux) summed over its
 * processes, so the shared buffers every backend maps count once, not once per backend.
 */
export function postgresPssMb(dataDir: string): number {
  let kb = 0;
  for (const pid of postgresPids(dataDir)) {
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      kb += Number(match?.[1] ?? 0);
    } catch {}
  }
  return kb / 1024;
}
