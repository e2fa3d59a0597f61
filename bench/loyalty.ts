// The loyalty processor (src/loyalty/processor.ts) over a log of orders, on embedded storage:
// N orders from P people, resolved by the profiles processor first (as in a server). Measured:
// processor steps of 500 until caught up, with a programme of one earn rule (a point per unit)
// and one badge (3 orders in 30 days). The baseline, in the same run on the same log, is the
// least such a reader must do: read the same slices, parse them, look their people up, and
// insert one row per order with raw SQL in one better-sqlite3 transaction per slice. The ratio
// says what idempotent keys, challenge steps, badge checks and the offset's lock cost over that.
//
// `npm run bench -- loyalty [--orders N] [--people P]`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_IDENTITY_CONFIG } from '../src/identity/index.ts';
import { LOYALTY_PROCESSOR, LoyaltyStore, type Programme, runLoyaltyStep } from '../src/loyalty/index.ts';
import { EMPTY_PROGRAMME } from '../src/loyalty/programme.ts';
import { DEFAULT_STEP_OPTIONS, lookupOwners, parse, runProfilesStep } from '../src/pipeline/index.ts';
import { type LogEntry, openStateStore } from '../src/store/index.ts';

const SLICE = 500;

const PROGRAMME: Programme = {
  ...EMPTY_PROGRAMME,
  earnRules: [{ id: 'orders', event: 'Order Completed', pointsPerUnit: 1 }],
  badges: [
    {
      id: 'regular',
      name: 'Regular',
      challenge: { kind: 'events', event: 'Order Completed', count: 3, withinDays: 30 },
      points: 25,
    },
  ],
};

function orders(count: number, people: number): LogEntry[] {
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, k) => {
    const at = new Date(start + k * 60_000).toISOString();
    const message = {
      type: 'track',
      messageId: `o-${k}`,
      userId: `u${k % people}`,
      event: 'Order Completed',
      properties: { revenue: 10 + (k % 90) },
      timestamp: at,
      receivedAt: at,
    };
    return { messageId: message.messageId, source: 'bench', receivedAt: at, json: JSON.stringify(message) };
  });
}

export default async function run(args: string[] = []): Promise<void> {
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const count = option('--orders', 20_000);
  const people = option('--people', 2_000);
  const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-loyalty-'));
  try {
    const state = await openStateStore({ dataDir: dir });
    for (let i = 0; i < count; i += 5000) await state.log.append(orders(count, people).slice(i, i + 5000));
    while ((await runProfilesStep(state, DEFAULT_STEP_OPTIONS)) > 0);
    console.log(
      `node ${process.version}, ${process.platform}/${process.arch}; ${count.toLocaleString('en')} orders from ${people.toLocaleString('en')} people, embedded storage`,
    );

    // Baseline: read, parse, look up, insert one row per order, a transaction per slice.
    const raw = new Database(join(dir, 'baseline.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('CREATE TABLE credits (message_id TEXT PRIMARY KEY, profile_id TEXT, points INTEGER)');
    const insert = raw.prepare('INSERT INTO credits VALUES (?, ?, ?)');
    const began = performance.now();
    for (let offset = 0; ; ) {
      const records = await state.log.read(offset, SLICE);
      if (records.length === 0) break;
      const messages = parse(records);
      const owners = await lookupOwners(state, messages, { identity: DEFAULT_IDENTITY_CONFIG });
      raw.transaction(() => {
        messages.forEach((message, i) => {
          const revenue = (message.properties as { revenue: number }).revenue;
          insert.run(message.messageId, owners[i], Math.floor(revenue));
        });
      })();
      offset = records.at(-1)!.seq;
    }
    const baselineMs = performance.now() - began;
    raw.close();

    const store = await LoyaltyStore.open({ dataDir: dir });
    const options = {
      state,
      store,
      identity: DEFAULT_IDENTITY_CONFIG,
      batchSize: SLICE,
      programme: async () => PROGRAMME,
      secret: async () => 'bench-secret',
    };
    const start = performance.now();
    let applied = 0;
    for (;;) {
      const step = await runLoyaltyStep(options, SLICE);
      if (step === 0) break;
      applied += step;
    }
    const processorMs = performance.now() - start;
    const earned = await store.sumOfEntries();
    const expected = orders(count, people).reduce(
      (sum, entry) => sum + 10 + (Number(entry.messageId.slice(2)) % 90),
      0,
    );
    const badges = Object.values(await store.badgeCounts()).reduce((a, b) => a + b, 0);
    if (applied !== count || (await state.getOffset(LOYALTY_PROCESSOR)) !== count)
      throw new Error(`the processor applied ${applied} of ${count}`);
    if (earned !== expected + badges * 25)
      throw new Error(`earned ${earned}, expected ${expected + badges * 25}`);
    const rate = (ms: number) => Math.round((count / ms) * 1000).toLocaleString('en');
    console.log(
      `baseline (read, parse, look up, raw insert): ${baselineMs.toFixed(0)} ms, ${rate(baselineMs)} orders/s`,
    );
    console.log(
      `loyalty processor: ${processorMs.toFixed(0)} ms, ${rate(processorMs)} orders/s (${badges.toLocaleString('en')} badges awarded)`,
    );
    console.log(`ratio processor / baseline: ${(processorMs / baselineMs).toFixed(2)}`);
    await store.close();
    await state.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
