// `npm run bench -- journeys [--messages N] [--engine sqlite|postgres|both]`: the journeys
// processor alone, as the server runs it (200 entries or 5 ms of work a step, on the HTTP
// thread), over N realistic messages already resolved by the profiles processor: first with
// no journey active (the step only looks for suppressions), then again from the start with
// one active journey whose trigger this traffic never sends (every event pays what an event
// no journey reads costs), then with the journey entered by "Order Completed" (2.6% of the
// entries enter a person and queue an email). Prints log entries per second consumed and
// the process's CPU per entry (the steadier figure on a shared machine), the
// figure that falls behind on PostgreSQL (issue 12: 35/s after a crash run). Baseline in the
// same process: the log read alone (readContaining of the same slices), the floor any reader
// of the log pays.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runJourneysStep, startConductor } from '../src/conductor/runtime/index.ts';
import { DEFAULT_IDENTITY_CONFIG } from '../src/identity/index.ts';
import { JOURNEYS_PROCESSOR } from '../src/pipeline/index.ts';
import { DEFAULT_STEP_OPTIONS, runProfilesStep } from '../src/pipeline/steps.ts';
import { openStateStore, type StorageLocation } from '../src/store/index.ts';
import { quoteIdent } from '../src/store/postgres/sql.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { messages } from './pipeline.ts';

const JOURNEY = {
  format: 1,
  id: 'bench-orders',
  version: 1,
  name: 'orders',
  reentry: { mode: 'always' },
  defaultTimeZone: 'UTC',
  entry: { kind: 'event', event: 'Order Completed' },
  start: 'hello',
  steps: [
    {
      id: 'hello',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: 'Thanks', body: 'x' },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

/** Process CPU (all threads) since `from`, µs. */
function cpuMicros(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return used.user + used.system;
}

async function measure(engine: string, location: StorageLocation, count: number): Promise<void> {
  const state = await openStateStore(location);
  // One append per request of 100, as the server's log holds them (a row per request).
  const all = messages(count);
  for (let at = 0; at < all.length; at += 100) await state.log.append(all.slice(at, at + 100));
  while ((await runProfilesStep(state, DEFAULT_STEP_OPTIONS)) > 0) {}
  const conductor = await startConductor({
    location,
    identity: DEFAULT_IDENTITY_CONFIG,
    runLoops: false,
    onError: console.error,
  });
  const head = await state.log.headSeq();
  const rate = (ms: number) => (head / (ms / 1000)).toFixed(0).padStart(8);
  const perEntry = (cpuMicros: number) => `${(cpuMicros / head).toFixed(1)} µs of CPU an entry`;

  let start = performance.now();
  let cpu = process.cpuUsage();
  for (let after = 0; after < head; after += 200)
    await state.log.readContaining(after, 200, '"type":"track"');
  const readMs = performance.now() - start;
  const readCpu = cpuMicros(cpu);
  console.log(
    `${engine}: log read alone (baseline)          ${rate(readMs)} entries/s, ${perEntry(readCpu)}`,
  );

  const options = { batchSize: 200, budgetMs: 5, identity: DEFAULT_IDENTITY_CONFIG };
  const steps = async (label: string) => {
    await conductor.store.withProcessor(JOURNEYS_PROCESSOR, (tx) => tx.setOffset(0));
    start = performance.now();
    cpu = process.cpuUsage();
    let count = 0;
    while ((await runJourneysStep(conductor.state, options)) > 0) count += 1;
    const stepMs = performance.now() - start;
    const stepCpu = cpuMicros(cpu);
    console.log(
      `${engine}: journeys processor, ${label.padEnd(22)} ${rate(stepMs)} entries/s, ${perEntry(stepCpu)} (${(stepCpu / readCpu).toFixed(1)}x the read; ${count} steps, ${(head / count).toFixed(1)} entries a step)`,
    );
  };
  // Nothing active first: the step then parses only the events named like a suppression.
  await steps('no journey active');
  await conductor.service.save({ ...JOURNEY, entry: { kind: 'event', event: 'Trial Started' } });
  await conductor.service.setStatus(JOURNEY.id, 'active');
  await steps('one, never triggered');
  await conductor.service.save({ ...JOURNEY, version: 2 });
  await steps('one journey active');
  await conductor.stop();
  await state.close();
}

export async function run(args: string[]): Promise<void> {
  const flag = (name: string, fallback: string) => {
    const at = args.indexOf(`--${name}`);
    return at === -1 ? fallback : (args[at + 1] ?? fallback);
  };
  const count = Number(flag('messages', '20000'));
  const engine = flag('engine', 'both');
  if (engine !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-journeys-'));
    try {
      await measure('sqlite', { dataDir: dir }, count);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (engine !== 'sqlite') {
    const cluster = process.env.RAPPORT_BENCH_DATABASE_URL ? null : await startThrowawayPostgres();
    const base = process.env.RAPPORT_BENCH_DATABASE_URL ?? (cluster?.url as string);
    const database = `bench_journeys_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    const url = new URL(base);
    url.pathname = `/${database}`;
    try {
      await measure('postgres', { dataDir: tmpdir(), databaseUrl: url.toString() }, count);
    } finally {
      await admin.query(`DROP DATABASE ${quoteIdent(database)} WITH (FORCE)`);
      await admin.end();
      await cluster?.stop();
    }
  }
}
