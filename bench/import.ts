// Import benchmark: `npm run bench -- import [--events N]` (default 1,000,000).
//
// A. baseline: raw better-sqlite3, the same JSON lines (read with readline) inserted as
//    (message_id, body) into one table in one transaction, WAL and synchronous=FULL like the log.
// B. Rapport: runImport in local mode (UTF-8 check, line reading, parsePayload, deterministic
//    messageIds, rejects and checkpoints) into a fresh ingest log in batches of 5,000.
// Reports events/s of both, the ratio, and the HTTP ingest figure of the latest
// bench/results/ingest-*.json (acked events/s) for comparison.
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { SqliteIngestLog } from '../src/store/index.ts';
import { LocalSink, runImport } from '../src/transfer/index.ts';
import { rng } from './support/messages.ts';
import { machine } from './support/process-stats.ts';

const EVENTS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

function parseEvents(args: string[]): number {
  const at = args.indexOf('--events');
  if (at < 0) return 1_000_000;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error('--events needs a whole number');
  return value;
}

/** Shop traffic as an export from another tool would hold it: no messageIds. */
function writeEventsFile(path: string, count: number): number {
  const random = rng(42);
  const fd = openSync(path, 'w');
  let lines: string[] = [];
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    const event = EVENTS[Math.floor(random() * EVENTS.length)] as string;
    const user = Math.floor(random() * 100_000);
    lines.push(
      JSON.stringify({
        type: 'track',
        userId: `customer-${user}`,
        event,
        timestamp: new Date(start + i * 1000).toISOString(),
        properties: {
          product_id: `sku-${Math.floor(random() * 5000)}`,
          price: Math.round(random() * 20_000) / 100,
          currency: 'EUR',
          ...(event === 'Order Completed'
            ? { order_id: `order-${i}`, revenue: Math.round(random() * 50_000) / 100 }
            : {}),
        },
        context: { library: { name: 'legacy-export', version: '1.0' }, ip: '203.0.113.7' },
      }),
    );
    if (lines.length === 10_000) {
      writeSync(fd, `${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) writeSync(fd, `${lines.join('\n')}\n`);
  return readFileSync(path).length;
}

async function baseline(file: string, dir: string): Promise<number> {
  const db = new Database(join(dir, 'baseline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE lines (seq INTEGER PRIMARY KEY, message_id TEXT UNIQUE NOT NULL, body TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO lines (message_id, body) VALUES (?, ?)');
  const started = performance.now();
  let n = 0;
  db.exec('BEGIN');
  for await (const line of createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    n++;
    insert.run(`line-${n}`, line);
  }
  db.exec('COMMIT');
  const elapsed = performance.now() - started;
  db.close();
  return elapsed;
}

async function rapport(file: string, dir: string): Promise<{ elapsedMs: number; imported: number }> {
  mkdirSync(join(dir, 'data'));
  const log = new SqliteIngestLog(join(dir, 'data', 'log.sqlite'));
  const sink = new LocalSink(log, 'bench', 5000, async () => log.close());
  const started = performance.now();
  const summary = await runImport({
    kind: 'events',
    input: file,
    format: 'jsonl',
    csv: { maps: [], ignore: [] },
    sink,
  });
  const elapsedMs = performance.now() - started;
  await sink.close();
  return { elapsedMs, imported: summary.counts.imported };
}

function latestHttpIngest(): { file: string; ackedEventsPerS: number } | undefined {
  const results = new URL('./results/', import.meta.url);
  try {
    const files = readdirSync(results)
      .filter((f) => /^ingest-\d.*\.json$/.test(f))
      .sort();
    const file = files[files.length - 1];
    if (!file) return undefined;
    const data = JSON.parse(readFileSync(new URL(file, results), 'utf8')) as {
      rapport?: { ackedEventsPerS?: number };
    };
    const acked = data.rapport?.ackedEventsPerS;
    return acked ? { file, ackedEventsPerS: acked } : undefined;
  } catch {
    return undefined;
  }
}

export async function run(args: string[]): Promise<void> {
  const events = parseEvents(args);
  const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-import-'));
  try {
    const file = join(dir, 'events.jsonl');
    const bytes = writeEventsFile(file, events);
    console.log(`generated ${events} events, ${(bytes / 1e6).toFixed(0)} MB`);
    const baselineMs = await baseline(file, dir);
    const ours = await rapport(file, dir);
    if (ours.imported !== events) throw new Error(`imported ${ours.imported} of ${events}`);
    const baselineRate = (events / baselineMs) * 1000;
    const rate = (events / ours.elapsedMs) * 1000;
    const http = latestHttpIngest();
    const result = {
      machine: machine(),
      events,
      fileMb: bytes / 1e6,
      baseline: { elapsedMs: baselineMs, eventsPerS: baselineRate },
      rapport: { elapsedMs: ours.elapsedMs, eventsPerS: rate },
      ratioToBaseline: ours.elapsedMs / baselineMs,
      httpIngest: http ? { ...http, importToHttp: rate / http.ackedEventsPerS } : null,
    };
    console.log(`baseline (raw better-sqlite3, one transaction): ${Math.round(baselineRate)} events/s`);
    console.log(
      `rapport import (local): ${Math.round(rate)} events/s, ${result.ratioToBaseline.toFixed(2)}× the baseline's time`,
    );
    if (http) {
      console.log(
        `HTTP ingest (${http.file}): ${Math.round(http.ackedEventsPerS)} acked events/s; import is ${(rate / http.ackedEventsPerS).toFixed(1)}× that`,
      );
    }
    const out = new URL(
      `./results/import-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`,
      import.meta.url,
    );
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written ${out.pathname}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
