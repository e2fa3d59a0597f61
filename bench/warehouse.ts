// `npm run bench -- warehouse [--messages N] [--slice N] [--rounds N]`: the embedded
// warehouse's write alone. N realistic messages (the ingest bench's generator) become the
// events the warehouse step makes of them; each setting under test then appends them into a
// fresh file-backed DuckDbEventStore in slices, as the warehouse step does (the offset read, a
// transaction with the offset, one appender a slice), and a CHECKPOINT at the end (the compression the
// automatic checkpoints do meanwhile is counted for every setting alike). The baseline, DuckDB's
// defaults (a thread per core, a checkpoint every 16 MB of WAL), runs in the same process,
// interleaved with the others; `--messages` of 100,000 or more lets the checkpoints show.
// CPU is read per thread from /proc: the calling JS thread, the threads DuckDB started for the
// instance, and the rest (libuv's pool, where the binding runs statements, and V8's helpers).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbEventStore, type StoredEvent, type WarehouseSettings } from '../src/store/index.ts';
import { messages } from './pipeline.ts';
import { threadCpu } from './support/process-stats.ts';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
}

/** As the warehouse step stores a message (src/pipeline/steps.ts, toStoredEvent). */
function storedEvents(count: number): StoredEvent[] {
  return messages(count).map((row, index) => {
    const message = JSON.parse(row.json);
    const name = message.type === 'track' ? message.event : (message.name ?? null);
    return {
      seq: index + 1,
      messageId: message.messageId,
      profileId: `profile-${index % 5000}`,
      type: message.type,
      name: name ?? null,
      userId: message.userId ?? null,
      anonymousId: message.anonymousId ?? null,
      timestamp: message.timestamp,
      receivedAt: message.receivedAt,
      properties: message.properties ?? {},
      message,
      messageJson: row.json,
    };
  });
}

interface Variant {
  label: string;
  settings: WarehouseSettings;
}

interface Measured {
  total: number;
  js: number;
  duckdb: number;
  other: number;
}

async function measure(variant: Variant, events: StoredEvent[], slice: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-warehouse-'));
  const known = new Set(threadCpu().keys());
  const store = await DuckDbEventStore.open(join(dir, 'events.duckdb'), variant.settings);
  try {
    const duckdbThreads = new Set([...threadCpu().keys()].filter((tid) => !known.has(tid)));
    const before = threadCpu();
    for (let i = 0; i < events.length; i += slice) {
      const part = events.slice(i, i + slice);
      await store.getOffset('warehouse'); // the warehouse step reads it before each slice
      await store.appendWithOffset('warehouse', part, (part.at(-1) as StoredEvent).seq);
    }
    await store.query('SELECT 1'); // a statement through the reader path, as the status report makes
    await store.checkpoint();
    const after = threadCpu();
    const split = { total: 0, js: 0, duckdb: 0, other: 0 };
    for (const [tid, ms] of after) {
      const used = ((ms - (before.get(tid) ?? 0)) * 1000) / events.length;
      split.total += used;
      if (tid === process.pid) split.js += used;
      else if (duckdbThreads.has(tid)) split.duckdb += used;
      else split.other += used;
    }
    return split;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function run(args: string[]): Promise<void> {
  const count = flag(args, 'messages', 30_000);
  const slice = flag(args, 'slice', 2000);
  const rounds = flag(args, 'rounds', 3);
  const variants: Variant[] = [
    {
      label: `baseline: DuckDB's defaults (${cpus().length} threads, 16MB)`,
      settings: { threads: cpus().length, checkpointThreshold: '16MB' },
    },
    { label: 'the warehouse as configured', settings: {} },
  ];
  const events = storedEvents(count);
  console.log(`${count} events, slices of ${slice}, ${rounds} rounds interleaved; CPU µs an event`);
  const results = new Map<string, Measured[]>(variants.map((v) => [v.label, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const measured = await measure(variant, events, slice);
      results.get(variant.label)?.push(measured);
      const f = (n: number) => n.toFixed(1);
      console.log(
        `round ${round + 1}  ${variant.label.padEnd(40)} ${f(measured.total).padStart(6)}  (JS thread ${f(measured.js)}, DuckDB's threads ${f(measured.duckdb)}, libuv pool and V8 ${f(measured.other)})`,
      );
    }
  }
  const baseline = median((results.get(variants[0]?.label as string) ?? []).map((m) => m.total));
  for (const variant of variants) {
    const totals = (results.get(variant.label) ?? []).map((m) => m.total);
    console.log(
      `median ${variant.label.padEnd(40)} ${median(totals).toFixed(1).padStart(6)} µs an event  (ratio to the baseline ${(median(totals) / baseline).toFixed(2)})`,
    );
  }
}
