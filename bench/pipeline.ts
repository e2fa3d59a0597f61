// `npm run bench -- pipeline [--messages N] [--batch N] [--chained-only] [--returning]
// [--profile FILE]`: the processors alone. N realistic
// messages (the ingest bench's generator) are appended to a fresh log, then the profiles
// processor (identity resolution, traits) and the warehouse processor (DuckDB) each run to
// the head. Baselines in the same process: the same rows written with the raw drivers (one
// better-sqlite3 INSERT per message into a keyed table; the DuckDB appender with the same
// columns), which is the floor any processor writing those stores has to pay.
// `--chained-only` runs only the three steps chained as in the server; `--profile FILE` writes
// a V8 .cpuprofile of that part alone (bench/support/cpuprofile-summary.ts sums it).
// `--returning` (with `--chained-only`) first runs the same traffic through untimed, then times
// it a second time (new messageIds, every time a second later): every person returns, as in a
// store that has run for a while, where a fresh one makes every profile new.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIGINT, DuckDBDataChunk, DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { parsePayload } from '../src/events/index.ts';
import { SliceCache } from '../src/pipeline/slices.ts';
import {
  DEFAULT_STEP_OPTIONS,
  runProfilesStep,
  runWarehouseStep,
  WAREHOUSE_PROCESSOR,
} from '../src/pipeline/steps.ts';
import { runSegmentsStep } from '../src/segments/index.ts';
import {
  DuckDbEventStore,
  SEGMENTS_PROCESSOR,
  SqliteSegmentStore,
  SqliteStateStore,
  sqlitePathsIn,
} from '../src/store/index.ts';
import { DEFAULT_GENERATOR, generateBodies, instantiate } from './support/messages.ts';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
}

export function messages(count: number) {
  const templates = generateBodies(DEFAULT_GENERATOR);
  const receivedAt = new Date();
  const out: { messageId: string; source: string; receivedAt: string; json: string }[] = [];
  for (let sequence = 0; out.length < count; sequence++) {
    const template = templates[sequence % templates.length]!;
    const body = JSON.parse(instantiate(template, sequence).toString('utf8'));
    for (const { message, json } of parsePayload(body, 'batch', { receivedAt }).accepted) {
      out.push({ messageId: message.messageId, source: 'bench', receivedAt: message.receivedAt, json });
    }
  }
  return out.slice(0, count);
}

const SECOND_LATER = (iso: string) => new Date(Date.parse(iso) + 1000).toISOString();

/** The same message sent again a second later: a returning person's next visit. */
function returning(row: BenchRow): BenchRow {
  const message = JSON.parse(row.json);
  message.messageId = `${message.messageId}-again`;
  message.timestamp = SECOND_LATER(message.timestamp);
  message.receivedAt = SECOND_LATER(message.receivedAt);
  return {
    ...row,
    messageId: message.messageId,
    receivedAt: message.receivedAt,
    json: JSON.stringify(message),
  };
}

/** The receivedAt of the n-th request: a millisecond apart, as separate requests are. */
function requestTime(receivedAt: string, n: number): string {
  return new Date(Date.parse(receivedAt) + n).toISOString();
}

/**
 * Wall time, and the process's CPU time (every thread, DuckDB's included): on a shared
 * machine the wall time swings with the other tenants, the CPU per event much less.
 */
async function timed(label: string, count: number, work: () => Promise<void>) {
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  await work();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUs = (cpu.user + cpu.system) / count;
  console.log(
    `${label.padEnd(44)} ${(count / (ms / 1000)).toFixed(0).padStart(8)} events/s  ${((ms * 1000) / count).toFixed(1).padStart(7)} µs/event  ${cpuUs.toFixed(1).padStart(7)} µs CPU/event`,
  );
  return ms;
}

export async function run(args: string[]): Promise<void> {
  const count = flag(args, 'messages', 100_000);
  const batchSize = flag(args, 'batch', DEFAULT_STEP_OPTIONS.batchSize);
  const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-pipeline-'));
  try {
    const rows = messages(count);
    console.log(`${count} messages, batch ${batchSize}, ${dir}`);
    const options = { ...DEFAULT_STEP_OPTIONS, batchSize };
    const profileAt = args.indexOf('--profile');
    const profileFile = profileAt === -1 ? undefined : args[profileAt + 1];
    if (args.includes('--chained-only')) {
      const before = args.includes('--returning') ? rows : undefined;
      const timedRows = before ? rows.map(returning) : rows;
      await (await chainedSteps(dir, timedRows, options, count, profileFile, before)).sharedState.close();
      return;
    }

    const raw = new Database(join(dir, 'raw.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
    const insert = raw.prepare('INSERT INTO t (id, body) VALUES (?, ?)');
    const rawSqlite = await timed('baseline: raw better-sqlite3 insert', count, async () => {
      for (let i = 0; i < rows.length; i += batchSize) {
        raw.transaction(() => {
          for (const row of rows.slice(i, i + batchSize)) insert.run(row.messageId, row.json);
        })();
      }
    });
    raw.close();

    const duck = await (await DuckDBInstance.create(join(dir, 'raw.duckdb'))).connect();
    await duck.run(
      'CREATE TABLE e (seq BIGINT, id VARCHAR, p VARCHAR, type VARCHAR, ts TIMESTAMP, body JSON)',
    );
    const rawDuck = await timed('baseline: raw DuckDB appender', count, async () => {
      for (let i = 0; i < rows.length; i += batchSize) {
        await duck.run('BEGIN TRANSACTION');
        const appender = await duck.createAppender('e');
        rows.slice(i, i + batchSize).forEach((row, j) => {
          appender.appendBigInt(BigInt(i + j));
          appender.appendVarchar(row.messageId);
          appender.appendVarchar('profile');
          appender.appendVarchar('track');
          appender.appendVarchar(row.receivedAt);
          appender.appendVarchar(row.json);
          appender.endRow();
        });
        appender.flushSync();
        appender.closeSync();
        await duck.run('COMMIT');
      }
    });
    await duck.run('DELETE FROM e');
    const columnTypes = [BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR];
    await timed('baseline: raw DuckDB appendDataChunk', count, async () => {
      for (let i = 0; i < rows.length; i += batchSize) {
        await duck.run('BEGIN TRANSACTION');
        const appender = await duck.createAppender('e');
        for (let from = i; from < Math.min(i + batchSize, rows.length); from += 2048) {
          const part = rows.slice(from, Math.min(from + 2048, i + batchSize));
          const chunk = DuckDBDataChunk.create(columnTypes, part.length);
          chunk.setColumns([
            part.map((_, j) => BigInt(from + j)),
            part.map((row) => row.messageId),
            part.map(() => 'profile'),
            part.map(() => 'track'),
            part.map((row) => row.receivedAt),
            part.map((row) => row.json),
          ]);
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
        appender.closeSync();
        await duck.run('COMMIT');
      }
    });
    duck.closeSync();

    const state = new SqliteStateStore(sqlitePathsIn(dir));
    await timed('ingest log append (group of batch size)', count, async () => {
      for (let i = 0; i < rows.length; i += batchSize) await state.log.append(rows.slice(i, i + batchSize));
    });
    const events = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    const profiles = await timed('profiles processor (identity + traits)', count, async () => {
      while ((await runProfilesStep(state, options)) > 0) {}
    });
    const warehouse = await timed('warehouse processor (DuckDB)', count, async () => {
      while ((await runWarehouseStep(state, events, options)) > 0) {}
    });
    console.log(
      `ratios: profiles / raw SQLite insert ${(profiles / rawSqlite).toFixed(1)}×, warehouse / raw DuckDB append ${(warehouse / rawDuck).toFixed(1)}×`,
    );
    const segmentStore = new SqliteSegmentStore(sqlitePathsIn(dir).statePath);
    const segmentsContext = { state, events, store: segmentStore, ...options, now: () => new Date() };
    const segments = await timed('segments processor (lifecycle stages)', count, async () => {
      while ((await runSegmentsStep(segmentsContext)) > 0) {}
    });
    console.log(
      `processors one after another: ${(count / ((profiles + warehouse + segments) / 1000)).toFixed(0)} events/s on one thread`,
    );
    await segmentStore.close();
    await events.close();
    await state.close();

    const { chained, sharedState } = await chainedSteps(dir, rows, options, count, profileFile);
    console.log(
      `shared slice / one after another: ${(chained / (profiles + warehouse + segments)).toFixed(2)}`,
    );

    // The journeys step (HTTP thread) acts on tracks only: every entry read and parsed, against
    // only the tracks' JSON read (readContaining) and parsed.
    const slice = batchSize;
    const readAll = await timed('journeys read: every entry read and parsed', count, async () => {
      for (let after = 0; after < count; after += slice)
        for (const record of await sharedState.log.read(after, slice)) JSON.parse(record.json);
    });
    const readTracks = await timed('journeys read: only tracks read and parsed', count, async () => {
      for (let after = 0; after < count; after += slice)
        for (const record of await sharedState.log.readContaining(after, slice, '"type":"track"'))
          if (record.json !== null) JSON.parse(record.json);
    });
    console.log(`journeys read, tracks only / every entry: ${(readTracks / readAll).toFixed(2)}`);
    await sharedState.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type BenchRow = ReturnType<typeof messages>[number];

/** As the pipeline worker runs them: each slice goes through the three steps in turn. */
async function chainedSteps(
  dir: string,
  rows: BenchRow[],
  options: typeof DEFAULT_STEP_OPTIONS,
  count: number,
  profileFile: string | undefined,
  untimedFirst?: BenchRow[],
) {
  // The warehouse and segments steps take each slice from the slice cache.
  const sharedDir = join(dir, 'shared');
  mkdirSync(sharedDir);
  const sharedState = new SqliteStateStore(sqlitePathsIn(sharedDir));
  // Logged as the server logs it: one batch row per request of 100 (`rows` share one
  // receivedAt, which would make one row of them all).
  const logAll = async (logged: BenchRow[]) => {
    for (let i = 0; i < logged.length; i += 100)
      await sharedState.log.append(
        logged.slice(i, i + 100).map((row) => ({ ...row, receivedAt: requestTime(row.receivedAt, i / 100) })),
      );
  };
  await logAll(untimedFirst ?? rows);
  const sharedEvents = await DuckDbEventStore.open(join(sharedDir, 'events.duckdb'));
  const sharedSegments = new SqliteSegmentStore(sqlitePathsIn(sharedDir).statePath);
  const slices = new SliceCache([WAREHOUSE_PROCESSOR, SEGMENTS_PROCESSOR]);
  const shared = { ...options, slices };
  const context = {
    state: sharedState,
    events: sharedEvents,
    store: sharedSegments,
    ...shared,
    now: () => new Date(),
  };
  const stepCpu = { profiles: 0, warehouse: 0, segments: 0 };
  const cpuOf = async (step: keyof typeof stepCpu, work: () => Promise<number>) => {
    const before = process.cpuUsage();
    const done = await work();
    const used = process.cpuUsage(before);
    stepCpu[step] += used.user + used.system;
    return done;
  };
  const toHead = async () => {
    for (;;) {
      const applied = await cpuOf('profiles', () => runProfilesStep(sharedState, shared));
      await cpuOf('warehouse', () => runWarehouseStep(sharedState, sharedEvents, shared));
      await cpuOf('segments', () => runSegmentsStep(context));
      if (applied === 0) break;
    }
    while ((await cpuOf('warehouse', () => runWarehouseStep(sharedState, sharedEvents, shared))) > 0) {}
    while ((await cpuOf('segments', () => runSegmentsStep(context))) > 0) {}
  };
  if (untimedFirst) {
    await toHead();
    stepCpu.profiles = stepCpu.warehouse = stepCpu.segments = 0;
    await logAll(rows);
    console.log(`the same ${untimedFirst.length} messages applied once untimed: every person returns`);
  }
  const profiler = profileFile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const chained = await timed('all three, slice read once (as in the server)', count, toHead);
  // DuckDB's own threads count in whichever step was running when they worked.
  console.log(
    `  per step, µs CPU/event: profiles ${(stepCpu.profiles / count).toFixed(1)}, warehouse ${(stepCpu.warehouse / count).toFixed(1)}, segments ${(stepCpu.segments / count).toFixed(1)}`,
  );
  if (profiler && profileFile) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
    profiler.disconnect();
    console.log(`profile of the chained steps: ${profileFile}`);
  }
  await sharedSegments.close();
  await sharedEvents.close();
  return { chained, sharedState };
}
