// `npm run bench -- log [--fill N] [--messages N]`: the embedded ingest log's append alone.
// The log is written per request (one row per request, an in-memory messageId window); the
// baseline in the same process is the shape it replaced, written with the same driver: one row
// per message with a UNIQUE messageId, `INSERT OR IGNORE`. Both first hold `--fill` entries
// (the dedupe index grows with the log, which keeps 7 days), then take `--messages` more in
// group commits of 1,000 messages made of requests of 100, with synchronous=FULL.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteIngestLog } from '../src/store/index.ts';
import { openSqlite } from '../src/store/sqlite/connection.ts';
import type { LogEntry } from '../src/store/types.ts';
import { messages } from './pipeline.ts';
import { machine } from './support/process-stats.ts';

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

async function timed(label: string, count: number, work: () => Promise<void>): Promise<number> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUs = (cpu.user + cpu.system) / count;
  console.log(
    `${label.padEnd(52)} ${((ms * 1000) / count).toFixed(1).padStart(7)} µs/message  ${cpuUs.toFixed(1).padStart(7)} µs CPU/message`,
  );
  return cpuUs;
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
    // A fresh connection, as after a restart: its first append reads the window from the log.
    const log = new SqliteIngestLog(join(dir, 'per-request.sqlite'));
    // Per entry in the log: what a restart costs once.
    await timed('first append after a restart (reads the window), per entry', fill, () =>
      log.append(entries(template, 1, 'restart')).then(() => undefined),
    );
    const after = await timed('Rapport: a row per request, in-memory window', count, () =>
      appendInGroups((group) => log.append(group), measured),
    );
    const dup = await log.append(measured.slice(0, GROUP));
    if (dup.appended !== 0) throw new Error(`the window let ${dup.appended} duplicates through`);
    log.close();
    console.log(`ratio Rapport / baseline, CPU per message: ${(after / before).toFixed(2)}`);
    console.log(`load average at the end ${loadavg()[0]?.toFixed(1)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
