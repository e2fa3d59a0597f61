// Rapport at a steady request rate, below what it can take (an open loop, so runs compare at
// the same offered load): `npm run bench -- steady [--rate REQ_PER_S] [--duration S]
// [--rounds N] [--full] [--engine sqlite|postgres|both]`.
// What a processing step costs besides its entries (its transaction and commit, the offset,
// DuckDB's appender) shows at such a load, where a processor woken on every commit took a
// request's worth of entries a step (ingest's phase C spent twice the CPU an event of its
// full-load phase B). The baseline in the same process is that: a server whose processors
// gather nothing (a step on every commit), alternated with servers as shipped, which let the
// log gather between small steps (src/pipeline/loop.ts), round by round, on fresh data.
// Printed: the CPU an event by thread (and PostgreSQL's), the p99, and the ratio of the medians.
import { loadavg } from 'node:os';
import { postgresUnavailableReason, startThrowawayPostgres } from '../test/support/postgres.ts';
import { LoadGenerator, type RapportPhaseResult, runRapportPhase, startRapport } from './ingest.ts';
import { machine, postgresCpuMs } from './support/process-stats.ts';

type Engine = 'sqlite' | 'postgres';

interface Options {
  rate: number;
  durationS: number;
  rounds: number;
  full: boolean;
  engines: Engine[];
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    rate: 20,
    durationS: 10,
    rounds: 2,
    full: false,
    engines: ['sqlite', 'postgres'],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = Number(args[++i]);
      if (!Number.isFinite(next) || next <= 0) throw new Error(`${arg} needs a positive number`);
      return next;
    };
    if (arg === '--rate') options.rate = value();
    else if (arg === '--duration') options.durationS = value();
    else if (arg === '--rounds') options.rounds = Math.round(value());
    else if (arg === '--full') options.full = true;
    else if (arg === '--engine') {
      const engine = args[++i];
      if (engine !== 'both' && engine !== 'sqlite' && engine !== 'postgres')
        throw new Error('--engine takes sqlite, postgres or both');
      options.engines = engine === 'both' ? ['sqlite', 'postgres'] : [engine];
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;
const load = () =>
  loadavg()
    .map((l) => round(l, 1))
    .join(' ');
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** CPU µs an event in Rapport's process, and in the processes beside it (PostgreSQL's). */
function cpuPerEvent(phase: RapportPhaseResult) {
  const events = phase.load.messages;
  const total = Object.values(phase.cpu.byThread).reduce((sum, ms) => sum + ms, 0);
  const outside = Object.values(phase.cpu.outside).reduce((sum, ms) => sum + ms, 0);
  return {
    rapport: (total * 1000) / events,
    outside: (outside * 1000) / events,
    main: (phase.cpu.mainMs * 1000) / events,
  };
}

function describe(label: string, phase: RapportPhaseResult): string {
  const cpu = cpuPerEvent(phase);
  const beside = cpu.outside > 0 ? ` + PostgreSQL ${round(cpu.outside)}` : '';
  return (
    `${label}: ${round(phase.ackedEventsPerS)} events/s acked, ${round(phase.endToEndEventsPerS)} end to end; ` +
    `CPU ${round(cpu.rapport)}${beside} µs an event (main ${round(cpu.main)}, pipeline ${round((phase.cpu.pipelineMs * 1000) / phase.load.messages)}); ` +
    `p50 ${round(phase.load.latencyMs.p50, 1)} ms, p99 ${round(phase.load.latencyMs.p99, 1)} ms; load ${load()}`
  );
}

interface Arm {
  name: string;
  gatherMs: number | undefined;
  steady: RapportPhaseResult[];
  full: RapportPhaseResult[];
}

async function runArm(
  generator: LoadGenerator,
  arm: Arm,
  options: Options,
  databaseUrl: string | undefined,
  clusterDir: string | undefined,
): Promise<void> {
  const rapport = await startRapport(databaseUrl, {
    ...(clusterDir ? { outsideCpu: () => ({ PostgreSQL: postgresCpuMs(clusterDir) }) } : {}),
    server: arm.gatherMs === undefined ? {} : { pipelineGatherMs: arm.gatherMs },
  });
  const command = { connections: 8, durationMs: options.durationS * 1000 };
  try {
    if (options.full) {
      const full = await runRapportPhase(generator, rapport, command);
      arm.full.push(full);
      console.log(`   ${describe(`${arm.name}, full load`, full)}`);
    }
    const steady = await runRapportPhase(generator, rapport, { ...command, rate: options.rate });
    arm.steady.push(steady);
    console.log(`   ${describe(`${arm.name}, ${options.rate} requests/s`, steady)}`);
  } finally {
    await rapport.close();
  }
}

function summary(engine: Engine, arms: Arm[], phase: 'steady' | 'full'): void {
  const [baseline, shipped] = arms as [Arm, Arm];
  const medianOf = (arm: Arm, pick: (cpu: ReturnType<typeof cpuPerEvent>) => number) =>
    median(arm[phase].map((result) => pick(cpuPerEvent(result))));
  const both = (arm: Arm) => medianOf(arm, (cpu) => cpu.rapport + cpu.outside);
  const p99 = (arm: Arm) => median(arm[phase].map((result) => result.load.latencyMs.p99));
  console.log(
    `${engine}, ${phase === 'steady' ? 'steady load' : 'full load'}: CPU an event (median, all processes) ` +
      `${round(both(baseline))} µs with a step on every commit, ${round(both(shipped))} gathering: ` +
      `ratio ${round(both(shipped) / both(baseline), 2)}; p99 ${round(p99(baseline), 1)} → ${round(p99(shipped), 1)} ms`,
  );
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const host = machine();
  console.log(
    `machine: ${host.cpus} × ${host.model}, ${host.memoryGb} GB, node ${host.node}; load average ${load()}\n` +
      `${options.rate} requests/s for ${options.durationS} s${options.full ? ' (after a full-load phase)' : ''}, ${options.rounds} rounds`,
  );
  const generator = await LoadGenerator.start();
  try {
    for (const engine of options.engines) {
      const arms: Arm[] = [
        { name: 'a step on every commit (baseline)', gatherMs: 0, steady: [], full: [] },
        { name: 'gathering (as shipped)', gatherMs: undefined, steady: [], full: [] },
      ];
      let cluster: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
      if (engine === 'postgres') {
        const reason = postgresUnavailableReason();
        if (reason) throw new Error(`PostgreSQL 15 is needed: ${reason}`);
        cluster = await startThrowawayPostgres();
      }
      try {
        console.log(`${engine}:`);
        for (let round = 0; round < options.rounds; round++) {
          // Alternate which arm goes first, so a load that drifts weighs on both.
          const order = round % 2 === 0 ? arms : [...arms].reverse();
          for (const arm of order)
            await runArm(generator, arm, options, cluster?.url, cluster?.ctlArgs[1] as string | undefined);
        }
      } finally {
        cluster?.stop();
      }
      summary(engine, arms, 'steady');
      if (options.full) summary(engine, arms, 'full');
    }
  } finally {
    generator.stop();
  }
}

export default run;
