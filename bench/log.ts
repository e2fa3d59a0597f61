// `npm run bench -- log [--fill N] [--messages N]`: the embedded ingest log's append alone.
// The log is written per request (one row per request, the messageIds in an index on disk with the
// newest in memory); the
// baseline in the same process is the shape it replaced, written with the same driver: one row
// per message with a UNIQUE messageId, `INSERT OR IGNORE`. Both first hold `--fill` entries
// (the dedupe index grows with the log, which keeps 7 days), then take `--messages` more in
// group commits of 1,000 messages made of requests of 100, with synchronous=FULL.
// `--postgres`: the same against a throwaway PostgreSQL 15: the baseline is the per-message
// shape the PostgreSQL log had (a multi-row `unnest` insert, a UNIQUE messageId, `ON CONFLICT
// DO NOTHING`, under the same append lock), Rapport's is `log_batches` with `log_message_ids`;
// CPU is counted in this process and in PostgreSQL's processes, and reading the messages back
// in slices of 2,000 (what the processors do) is timed for both, alone and with a JSON.parse
// of every message.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteIngestLog } from '../src/store/index.ts';
import { inTransaction } from '../src/store/postgres/connection.ts';
import { PostgresStateStore } from '../src/store/postgres/index.ts';
import { ADVISORY_XACT_LOCK_SQL, advisoryLockParams } from '../src/store/postgres/sql.ts';
import { openSqlite } from '../src/store/sqlite/connection.ts';
import type { LogEntry } from '../src/store/types.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';
import { messages } from './pipeline.ts';
import { machine, postgresCpuMs } from './support/process-stats.ts';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
}

const REQUEST = 100;
const GROUP = 1000;

/** Copies of the bench messages with fresh messageIds, one receivedAt per request of 100. */
function entries(template: LogEntry[], count: number, prefix: string): LogEntry[] {
  const out: LogEntry[] = new Array(count);
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const base = template[i % template.length] as LogEntry;
    out[i] = {
      ...base,
      messageId: `${prefix}-${i}-${base.messageId}`,
      receivedAt: new Date(start + Math.floor(i / REQUEST)).toISOString(),
    };
  }
  return out;
}

async function timed(
  label: string,
  count: number,
  work: () => Promise<void>,
  outsideMs?: () => number,
): Promise<number> {
  const outsideBefore = outsideMs?.() ?? 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUs = (cpu.user + cpu.system) / count;
  const outside = outsideMs
    ? `  ${(((outsideMs() - outsideBefore) * 1000) / count).toFixed(1).padStart(7)} µs PostgreSQL CPU/message`
    : '';
  console.log(
    `${label.padEnd(52)} ${((ms * 1000) / count).toFixed(1).padStart(7)} µs/message  ${cpuUs.toFixed(1).padStart(7)} µs CPU/message${outside}`,
  );
  return cpuUs;
}

/** The PostgreSQL log's append before the log was written per request (one row per message). */
function perMessageAppend(pool: pg.Pool) {
  return (group: LogEntry[]) =>
    inTransaction(pool, async (client) => {
      await client.query(ADVISORY_XACT_LOCK_SQL, advisoryLockParams('per_message:ingest_log'));
      await client.query(
        `INSERT INTO per_message.ingest_log (message_id, source, received_at, body)
         SELECT message_id, source, received_at, body
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
           WITH ORDINALITY AS batch(message_id, source, received_at, body, ord)
         ORDER BY ord
         ON CONFLICT (message_id) DO NOTHING`,
        [
          group.map((e) => e.messageId),
          group.map((e) => e.source),
          group.map((e) => e.receivedAt),
          group.map((e) => e.json),
        ],
      );
    });
}

/** Reads slices after `from` until `through` (the fill's seqs come first, both shapes number from 1). */
async function readAll(
  read: (after: number) => Promise<number>,
  from: number,
  through: number,
): Promise<void> {
  for (let after = from; after < through; ) {
    const last = await read(after);
    if (last === after) throw new Error(`the log ended at ${after} of ${through}`);
    after = last;
  }
}

async function runPostgres(fill: number, count: number, template: LogEntry[]): Promise<void> {
  const cluster = await startThrowawayPostgres();
  const pgCpu = () => postgresCpuMs(cluster.ctlArgs[1] as string);
  const pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
  try {
    const filling = entries(template, fill, 'fill');
    const measured = entries(template, count, 'new');
    await pool.query(`CREATE SCHEMA per_message;
      CREATE TABLE per_message.ingest_log (seq bigserial PRIMARY KEY, message_id text NOT NULL UNIQUE,
        source text NOT NULL, received_at timestamptz NOT NULL, body text NOT NULL)`);
    const appendOld = perMessageAppend(pool);
    await appendInGroups(appendOld, filling);
    const before = await timed(
      'baseline: a row per message, UNIQUE messageId',
      count,
      () => appendInGroups(appendOld, measured),
      pgCpu,
    );
    const state = await PostgresStateStore.open(cluster.url, { schema: 'per_request', pool });
    await appendInGroups((group) => state.log.append(group), filling);
    const after = await timed(
      'Rapport: a row per request, log_message_ids',
      count,
      () => appendInGroups((group) => state.log.append(group), measured),
      pgCpu,
    );
    const dup = await state.log.append(measured.slice(0, GROUP));
    if (dup.appended !== 0) throw new Error(`the dedupe let ${dup.appended} duplicates through`);
    console.log(`ratio Rapport / baseline, CPU per message in this process: ${(after / before).toFixed(2)}`);
    // Reading the measured messages back in slices of 2,000, as the processors do.
    const slice = 2000;
    const readBefore = await timed(
      'read back, a row per message',
      count,
      () =>
        readAll(
          async (afterSeq) => {
            const { rows } = await pool.query<{ seq: string }>(
              `SELECT seq, message_id, source, received_at, body FROM per_message.ingest_log
             WHERE seq > $1 ORDER BY seq LIMIT $2`,
              [afterSeq, slice],
            );
            return rows.length === 0 ? afterSeq : Number(rows.at(-1)?.seq);
          },
          fill,
          fill + count,
        ),
      pgCpu,
    );
    const readAfter = await timed(
      'read back, a row per request',
      count,
      () =>
        readAll(
          async (afterSeq) => {
            const records = await state.log.read(afterSeq, slice);
            return records.at(-1)?.seq ?? afterSeq;
          },
          fill,
          fill + count,
        ),
      pgCpu,
    );
    console.log(`ratio read, CPU per message in this process: ${(readAfter / readBefore).toFixed(2)}`);
    // The processors parse every message they read: a two-byte string (a line cut from a body
    // holding one non-ASCII character) parses slower than a one-byte one.
    const parsedBefore = await timed(
      'read back and JSON.parse, a row per message',
      count,
      () =>
        readAll(
          async (afterSeq) => {
            const { rows } = await pool.query<{ seq: string; body: string }>(
              `SELECT seq, message_id, source, received_at, body FROM per_message.ingest_log
             WHERE seq > $1 ORDER BY seq LIMIT $2`,
              [afterSeq, slice],
            );
            for (const row of rows) JSON.parse(row.body);
            return rows.length === 0 ? afterSeq : Number(rows.at(-1)?.seq);
          },
          fill,
          fill + count,
        ),
      pgCpu,
    );
    const parsedAfter = await timed(
      'read back and JSON.parse, a row per request',
      count,
      () =>
        readAll(
          async (afterSeq) => {
            const records = await state.log.read(afterSeq, slice);
            for (const record of records) JSON.parse(record.json);
            return records.at(-1)?.seq ?? afterSeq;
          },
          fill,
          fill + count,
        ),
      pgCpu,
    );
    console.log(
      `ratio read and parse, CPU per message in this process: ${(parsedAfter / parsedBefore).toFixed(2)}`,
    );
    await state.close();
  } finally {
    await pool.end();
    cluster.stop();
  }
}

async function appendInGroups(append: (group: LogEntry[]) => Promise<unknown> | unknown, rows: LogEntry[]) {
  for (let i = 0; i < rows.length; i += GROUP) await append(rows.slice(i, i + GROUP));
}

export async function run(args: string[]): Promise<void> {
  const fill = flag(args, 'fill', 200_000);
  const count = flag(args, 'messages', 50_000);
  const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-log-'));
  try {
    const host = machine();
    console.log(
      `machine: ${host.cpus} × ${host.model}, node ${host.node}; load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}`,
    );
    console.log(`${fill} entries first, then ${count} messages; requests of ${REQUEST}, commits of ${GROUP}`);
    const template = messages(2_000);
    if (args.includes('--postgres')) {
      await runPostgres(fill, count, template);
      return;
    }
    const filling = entries(template, fill, 'fill');
    const measured = entries(template, count, 'new');

    const old = openSqlite(join(dir, 'per-message.sqlite'), {
      synchronous: 'FULL',
      autoVacuum: 'INCREMENTAL',
    });
    old.exec(`CREATE TABLE ingest_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,
      source TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL)`);
    const insert = old.prepare(
      'INSERT OR IGNORE INTO ingest_log (message_id, source, received_at, body) VALUES (?, ?, ?, ?)',
    );
    const appendOld = old.transaction((group: LogEntry[]) => {
      for (const e of group) insert.run(e.messageId, e.source, e.receivedAt, e.json);
    });
    await appendInGroups((group) => appendOld.immediate(group), filling);
    const before = await timed('baseline: a row per message, UNIQUE messageId', count, () =>
      appendInGroups((group) => appendOld.immediate(group), measured),
    );
    old.close();

    const seed = new SqliteIngestLog(join(dir, 'per-request.sqlite'));
    await appendInGroups((group) => seed.append(group), filling);
    seed.close();
    // A fresh connection, as after a restart: its first append reads the newest ids from the log.
    const log = new SqliteIngestLog(join(dir, 'per-request.sqlite'));
    // Per entry in the log: what a restart costs once.
    await timed('first append after a restart (reads the newest ids), per entry', fill, () =>
      log.append(entries(template, 1, 'restart')).then(() => undefined),
    );
    const after = await timed('Rapport: a row per request, ids indexed on disk', count, () =>
      appendInGroups((group) => log.append(group), measured),
    );
    const dup = await log.append(measured.slice(0, GROUP));
    if (dup.appended !== 0) throw new Error(`the dedupe let ${dup.appended} duplicates through`);
    log.close();
    console.log(`ratio Rapport / baseline, CPU per message: ${(after / before).toFixed(2)}`);
    console.log(`load average at the end ${loadavg()[0]?.toFixed(1)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
