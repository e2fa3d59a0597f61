// The channel-preference report (src/attribution/preference.ts) over simulated delivery rows:
// N people × 3 channels, each person with a planted preferred channel they open 4× as often.
// The baseline, in the same run after a warm-up, is a plain loop over the same rows that keeps
// each person's channel with the highest raw open rate (no prior, no intervals, no reach
// sets): the least any "who prefers what" count must do. The ratio says what the report's
// best-channel estimate (Beta prior), its people sets and its Jeffreys intervals cost over that.
//
// `npm run bench -- channel-preference [--people N]`
import { channelPreferenceReport, type DeliveryCount } from '../src/attribution/preference.ts';

const CHANNELS = ['email', 'sms', 'push'] as const;

function simulate(people: number, seed: number): DeliveryCount[] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const rows: DeliveryCount[] = [];
  for (let index = 0; index < people; index++) {
    const preferred = CHANNELS[Math.floor(random() * CHANNELS.length)];
    for (const channel of CHANNELS) {
      const sent = 1 + Math.floor(random() * 20);
      const rate = channel === preferred ? 0.4 : 0.1;
      let engaged = 0;
      for (let n = 0; n < sent; n++) if (random() < rate) engaged++;
      rows.push({ person: `p${index}`, channel, sent, engaged, clicked: Math.floor(engaged / 3) });
    }
  }
  return rows;
}

function baseline(rows: readonly DeliveryCount[]): Map<string, number> {
  const best = new Map<string, { channel: string; rate: number }>();
  for (const row of rows) {
    const rate = row.engaged / row.sent;
    const current = best.get(row.person);
    if (!current || rate > current.rate) best.set(row.person, { channel: row.channel, rate });
  }
  const counts = new Map<string, number>();
  for (const { channel } of best.values()) counts.set(channel, (counts.get(channel) ?? 0) + 1);
  return counts;
}

function time<T>(work: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = work();
  return { ms: performance.now() - start, result };
}

export default async function run(args: string[] = []): Promise<void> {
  const at = args.indexOf('--people');
  const people = at >= 0 ? Number(args[at + 1]) : 200_000;
  const rows = simulate(people, 7);
  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}; ${people.toLocaleString('en')} people, ${rows.length.toLocaleString('en')} delivery rows`,
  );
  const converted = new Set(rows.filter((_, i) => i % 7 === 0).map((row) => row.person));
  const input = {
    deliveries: rows,
    stated: new Map<string, string>(),
    converted,
    spend: { email: 10, sms: 5 },
  };
  // Warm-up, then each measured once in the same process.
  baseline(rows.slice(0, 30_000));
  channelPreferenceReport({ ...input, deliveries: rows.slice(0, 30_000) });
  const base = time(() => baseline(rows));
  const report = time(() => channelPreferenceReport(input));
  console.log(`baseline (raw best rate per person): ${(base.ms / 1000).toFixed(2)} s`);
  console.log(
    `channel-preference report: ${(report.ms / 1000).toFixed(2)} s (${(report.ms / base.ms).toFixed(1)}× the baseline)`,
  );
  for (const row of report.result.channels)
    console.log(
      `  ${row.channel}: prefer ${(row.preferredShare! * 100).toFixed(1)}% [${row.preferredInterval!.map((x) => (x * 100).toFixed(1)).join(', ')}], raw-rate baseline ${(((base.result.get(row.channel) ?? 0) / people) * 100).toFixed(1)}%`,
    );
}
