// Start-up benchmark: `npm run bench -- startup [--runs N] [--idle S]`.
//
// What `npm start` runs, started as an operator starts it, interleaved run by run:
//   compiled  `node bin/rapport.js serve`: the compiled build in dist/ (what `npm start` runs)
//   tsx       `tsx src/cli/main.ts serve`: the TypeScript through tsx (what `npm start` ran until
//             session 10: tsx's CLI process and, under it, the server's node process)
// For each: the time from spawn to the first 200 on /health on an empty data directory (first
// start: migrations, the DuckDB file) and again on the same directory (restart); the CPU the
// process tree spent until then; after --idle seconds, the tree's RSS and Pss and its threads.
// Also the cost of the build itself (forced) and of the check that finds it fresh.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { ensureServerBuild, serverBuildIsFresh } from '../scripts/build-server.mjs';
import { freePort, testSecrets } from '../test/support/child-server.ts';
import { machine, processCpuMs } from './support/process-stats.ts';

type Code = 'compiled' | 'tsx';

interface Options {
  runs: number;
  idleS: number;
}

interface Start {
  code: Code;
  firstMs: number;
  firstCpuMs: number;
  restartMs: number;
  restartCpuMs: number;
  rssMb: number;
  pssMb: number;
  threads: number;
  processes: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function parseOptions(args: string[]): Options {
  const options: Options = { runs: 3, idleS: 5 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = Number(args[++i]);
    if (!Number.isFinite(next) || next <= 0) throw new Error(`${arg} needs a positive number`);
    if (arg === '--runs') options.runs = Math.round(next);
    else if (arg === '--idle') options.idleS = next;
    else throw new Error(`unknown option ${arg}; options: --runs N, --idle S`);
  }
  return options;
}

function command(code: Code): string[] {
  if (code === 'compiled') return [join(ROOT, 'bin', 'rapport.js'), 'serve'];
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  return [tsx, join(ROOT, 'src', 'cli', 'main.ts'), 'serve'];
}

/** A process and its descendants, from /proc. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {}
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

function statusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const treeCpuMs = (pid: number) => processTree(pid).reduce((sum, p) => sum + processCpuMs(p), 0);

async function startServer(
  code: Code,
  dataDir: string,
): Promise<{ child: ChildProcess; ms: number; cpuMs: number }> {
  const port = await freePort();
  const secrets = testSecrets();
  const started = performance.now();
  const child = spawn(process.execPath, command(code), {
    cwd: ROOT,
    env: {
      ...process.env,
      RAPPORT_PORT: String(port),
      RAPPORT_DATA_DIR: dataDir,
      RAPPORT_LOG_LEVEL: 'warn',
      RAPPORT_WRITE_KEY: secrets.writeKey,
      RAPPORT_ADMIN_TOKEN: secrets.adminToken,
    },
    stdio: 'ignore',
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${code} server exited (${child.exitCode})`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const ms = performance.now() - started;
  return { child, ms, cpuMs: treeCpuMs(child.pid as number) };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function measureStart(code: Code, options: Options): Promise<Start> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-startup-'));
  try {
    const first = await startServer(code, dataDir);
    await stop(first.child);
    const again = await startServer(code, dataDir);
    try {
      await new Promise((resolve) => setTimeout(resolve, options.idleS * 1000));
      const tree = processTree(again.child.pid as number);
      return {
        code,
        firstMs: first.ms,
        firstCpuMs: first.cpuMs,
        restartMs: again.ms,
        restartCpuMs: again.cpuMs,
        rssMb: tree.reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0) / 1024,
        pssMb: tree.reduce((sum, pid) => sum + pssKb(pid), 0) / 1024,
        threads: tree.reduce((sum, pid) => sum + statusKb(pid, 'Threads'), 0),
        processes: tree.length,
      };
    } finally {
      await stop(again.child);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** CPU ms of this process's exited children (cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const host = machine();
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `machine: ${host.cpus} × ${host.model}, ${host.memoryGb} GB, node ${host.node}, ${host.platform}; load average ${load()}`,
  );

  const cpuBefore = childrenCpuMs();
  const buildStarted = performance.now();
  ensureServerBuild(undefined, { force: true });
  const buildMs = performance.now() - buildStarted;
  const buildCpuMs = childrenCpuMs() - cpuBefore;
  const checkStarted = performance.now();
  const fresh = serverBuildIsFresh();
  const checkMs = performance.now() - checkStarted;
  console.log(
    `build (forced): ${Math.round(buildMs)} ms, ${Math.round(buildCpuMs)} ms of CPU (tsc); ` +
      `the check that finds it fresh (${fresh}): ${checkMs.toFixed(1)} ms`,
  );

  const starts: Start[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const code of (run % 2 ? ['compiled', 'tsx'] : ['tsx', 'compiled']) as Code[]) {
      const start = await measureStart(code, options);
      starts.push(start);
      console.log(
        `run ${run} ${code.padEnd(8)} first start ${Math.round(start.firstMs)} ms (CPU ${Math.round(start.firstCpuMs)}), ` +
          `restart ${Math.round(start.restartMs)} ms (CPU ${Math.round(start.restartCpuMs)}), ` +
          `after ${options.idleS} s: RSS ${start.rssMb.toFixed(0)} MB, Pss ${start.pssMb.toFixed(0)} MB, ` +
          `${start.threads} threads in ${start.processes} process(es); load ${load()}`,
      );
    }
  }

  const of = (code: Code, field: keyof Omit<Start, 'code'>) =>
    median(starts.filter((s) => s.code === code).map((s) => s[field]));
  const fields: Array<[string, keyof Omit<Start, 'code'>]> = [
    ['first start, ms', 'firstMs'],
    ['first start, CPU ms', 'firstCpuMs'],
    ['restart, ms', 'restartMs'],
    ['restart, CPU ms', 'restartCpuMs'],
    ['RSS MB (process tree)', 'rssMb'],
    ['Pss MB (process tree)', 'pssMb'],
    ['threads', 'threads'],
  ];
  console.log(`\nmedians of ${options.runs} runs each   compiled     tsx   compiled/tsx`);
  for (const [label, field] of fields) {
    const compiled = of('compiled', field);
    const tsx = of('tsx', field);
    console.log(
      `${label.padEnd(28)} ${String(Math.round(compiled)).padStart(8)} ${String(Math.round(tsx)).padStart(7)}   ${(compiled / tsx).toFixed(2)}`,
    );
  }
}
