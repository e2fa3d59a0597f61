// `npm run bench -- decide [--rate 2000] [--seconds 20] [--people 5000] [--ingest REQ_PER_S] [--rounds N]`
// (or `--events N`, below):
// /v1/decide on a real server at a fixed request rate, known and unknown people mixed, beside
// the same server's /health at the same rate (the baseline: HTTP, auth-free routing and JSON in
// this process). The load runs in a child process. Target: p99 under 5 ms at 2,000 requests/s.
// --ingest: /v1/batch bodies of 100 messages at that many requests/s (the ingest bench's load
// generator, open loop) for the whole run, e.g. half the end-to-end rate
// `npm run bench -- ingest` reports (issue #19: decide's p99 within 1.5x of /health's).
// --rounds N: /health and /v1/decide take turns, N windows of --seconds each, so both routes
// see the same ingest backlog and the same neighbours on a shared machine; each route's
// latencies are pooled over its windows. Beside each route: the rate actually reached, the
// HTTP thread's event-loop delay (perf_hooks) and its CPU during that route's windows.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parsePayload } from '../src/events/index.ts';
import { placementEventJson } from '../src/placements/events.ts';
import { startTestServer } from '../test/support/server.ts';
import { LoadGenerator } from './ingest.ts';
import { FixedRateLoad, type FixedRateResult, type FixedRateRun } from './support/fixed-rate.ts';
import { percentile } from './support/load.ts';
import { threadCpu } from './support/process-stats.ts';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
}

/** What one route's windows add up to. */
interface RouteTotals {
  latencies: number[];
  roundP99: number[];
  failed: number;
  seconds: number;
  /** The HTTP thread's event-loop delay in each window: its p99 and max (ns). */
  loopDelayP99: number[];
  loopDelayMax: number[];
  /** CPU of this process's main thread (the server's HTTP thread) over the windows, ms. */
  mainCpuMs: number;
  /** How long it was ready to run but waited for a CPU (the machine's other tenants), ms. */
  mainWaitMs: number;
  wallMs: number;
}

function routeTotals(): RouteTotals {
  return {
    latencies: [],
    roundP99: [],
    failed: 0,
    seconds: 0,
    loopDelayP99: [],
    loopDelayMax: [],
    mainCpuMs: 0,
    mainWaitMs: 0,
    wallMs: 0,
  };
}

const mainThreadCpuMs = () => threadCpu().get(process.pid) ?? 0;

/** ms the main thread has spent runnable but waiting for a CPU (Linux schedstat; 0 elsewhere). */
function mainThreadWaitMs(): number {
  try {
    const [, waitNs] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return Number(waitNs) / 1e6;
  } catch {
    return 0;
  }
}

/** One window of one route: the load, the loop's delay and the main thread's CPU while it ran. */
async function window(load: FixedRateLoad, command: FixedRateRun, totals: RouteTotals): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  let cpuAt = 0;
  let waitAt = 0;
  let startedAt = 0;
  const result: FixedRateResult = await load.run(command, () => {
    delay.enable();
    cpuAt = mainThreadCpuMs();
    waitAt = mainThreadWaitMs();
    startedAt = performance.now();
  });
  delay.disable();
  totals.mainCpuMs += mainThreadCpuMs() - cpuAt;
  totals.mainWaitMs += mainThreadWaitMs() - waitAt;
  totals.wallMs += performance.now() - startedAt;
  totals.loopDelayP99.push(delay.percentile(99));
  totals.loopDelayMax.push(delay.max);
  totals.latencies.push(...result.latencies);
  totals.roundP99.push(percentile(Float64Array.from(result.latencies).sort(), 99));
  totals.failed += result.non2xx + result.errors;
  totals.seconds += command.seconds;
}

const PLACEMENTS = {
  placements: [{ id: 'receipt', defaultOfferId: 'thanks' }],
  offers: [
    { id: 'thanks', placement: 'receipt', priority: 0, expectedValue: 0, requiresPersonalization: false },
    {
      id: 'home-insurance',
      placement: 'receipt',
      priority: 50,
      expectedValue: 40,
      requiresPersonalization: true,
      capPerPerson: 3,
      rule: { kind: 'trait', trait: 'has_mortgage', test: { op: 'eq', value: true } },
      content: { headline: '10% off home insurance', url: 'https://bank.example/home' },
    },
    {
      id: 'ink',
      placement: 'receipt',
      priority: 40,
      expectedValue: 12,
      requiresPersonalization: true,
      rule: { kind: 'trait', trait: 'owns_printer', test: { op: 'eq', value: true } },
    },
    {
      id: 'newsletter',
      placement: 'receipt',
      priority: 10,
      expectedValue: 1,
      requiresPersonalization: false,
    },
  ],
};

async function seedPeople(url: string, writeKey: string, people: number) {
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  for (let start = 0; start < people; start += 500) {
    const batch = Array.from({ length: Math.min(500, people - start) }, (_, i) => ({
      type: 'identify',
      userId: `bench-${start + i}`,
      traits: { has_mortgage: (start + i) % 3 === 0, owns_printer: (start + i) % 5 === 0 },
      context: { consent: { categoryPreferences: { personalization: (start + i) % 4 !== 0 } } },
    }));
    const response = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  }
}

const ms = (ns: number) => (ns / 1e6).toFixed(1);

function summary(totals: RouteTotals) {
  const sorted = Float64Array.from(totals.latencies).sort();
  return {
    rate: totals.latencies.length / totals.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: percentile(sorted, 100),
  };
}

function row(label: string, totals: RouteTotals) {
  const { rate, p50, p99, max } = summary(totals);
  const busy = (100 * totals.mainCpuMs) / Math.max(1, totals.wallMs);
  const waiting = (100 * totals.mainWaitMs) / Math.max(1, totals.wallMs);
  const rounds = totals.roundP99.map((p) => p.toFixed(0)).join(', ');
  return (
    `| ${label} | ${rate.toFixed(0)} | ${p50.toFixed(1)} ms | ${p99.toFixed(1)} ms | ${max.toFixed(0)} ms | ${rounds} | ` +
    `${ms(Math.max(...totals.loopDelayP99))} / ${ms(Math.max(...totals.loopDelayMax))} ms | ${busy.toFixed(0)}% / ${waiting.toFixed(0)}% | ${totals.failed} |`
  );
}

/**
 * `--events N`: the Promotion Viewed JSON decide records per answer, built N times directly
 * (src/placements/events.ts) against the baseline of the same message through the ingest API's
 * parsePayload, in this process; CPU µs per event (process.cpuUsage, so a shared machine's
 * waiting is not counted).
 */
function timeEvents(count: number): void {
  const input = (i: number) => ({
    key: i % 4 === 3 ? { anonymousId: `stranger-${i}` } : { userId: `bench-${i}` },
    event: 'Promotion Viewed',
    messageId: `rapport-view-${randomUUID()}`,
    properties: {
      promotion_id: 'home-insurance',
      creative: 'receipt',
      position: 'receipt',
      placement: 'receipt',
    },
    receivedAt: new Date(),
  });
  const viaIngest = (i: number) => {
    const { key, ...rest } = input(i);
    const identity = key.userId ? { userId: key.userId } : { anonymousId: key.anonymousId };
    return parsePayload({ ...identity, type: 'track', ...rest }, 'track', { receivedAt: rest.receivedAt })
      .accepted[0]?.json;
  };
  const direct = (i: number) => placementEventJson(input(i));
  const time = (build: (i: number) => string | undefined) => {
    let bytes = 0;
    const before = process.cpuUsage();
    for (let i = 0; i < count; i += 1) bytes += build(i)?.length ?? 0;
    const used = process.cpuUsage(before);
    return { micros: (used.user + used.system) / count, bytes };
  };
  for (let round = 0; round < 3; round += 1) {
    const baseline = time(viaIngest);
    const ours = time(direct);
    console.log(
      `round ${round + 1}: through parsePayload ${baseline.micros.toFixed(2)} µs an event, direct ${ours.micros.toFixed(2)} µs ` +
        `(${(ours.micros / baseline.micros).toFixed(2)} of the baseline)`,
    );
  }
}

export async function run(args: string[]): Promise<void> {
  const events = flag(args, 'events', 0);
  if (events > 0) return timeEvents(events);
  const rate = flag(args, 'rate', 2000);
  const seconds = flag(args, 'seconds', 20);
  const people = flag(args, 'people', 5000);
  const rounds = Math.max(1, flag(args, 'rounds', 1));
  const ingestRate = flag(args, 'ingest', 0);
  const server = await startTestServer();
  const load = await FixedRateLoad.start();
  try {
    await seedPeople(server.url, server.writeKey, people);
    await server.settle();
    const saved = await fetch(`${server.url}/api/placements`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(PLACEMENTS),
    });
    if (!saved.ok) throw new Error(`placements refused: ${await saved.text()}`);
    const headers = { authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}` };
    // Three in four requests for known people, the rest for people never seen.
    const paths = Array.from({ length: 4 * people }, (_, i) =>
      i % 4 === 3
        ? `/v1/decide?placement=receipt&anonymousId=stranger-${i}`
        : `/v1/decide?placement=receipt&userId=bench-${i % people}`,
    );
    const command = { url: server.url, rate, seconds, connections: 20 };
    // Warm the person cache once, as a live site would be.
    await load.run({ ...command, seconds: 5, paths, headers });
    const ingestLoad = ingestRate > 0 ? await LoadGenerator.start() : undefined;
    const ingest = ingestLoad?.run({
      url: server.url,
      path: '/v1/batch',
      headers: { ...headers, 'content-type': 'application/json' },
      connections: 4,
      // Every window below, with a second each for the load child's turn-around.
      durationMs: 2 * rounds * (seconds + 1) * 1000,
      rate: ingestRate,
    });
    const health = routeTotals();
    const decide = routeTotals();
    for (let round = 0; round < rounds; round += 1) {
      await window(load, { ...command, paths: ['/health'], headers: {} }, health);
      await window(load, { ...command, paths, headers }, decide);
    }
    const ingested = await ingest;
    ingestLoad?.stop();
    console.log(
      `\n${rate} requests/s asked for ${rounds} x ${seconds} s per route (taking turns), ${people} known people, ` +
        '1 in 4 requests for an unknown person\n',
    );
    console.log(
      '| route | requests/s reached | p50 | p99 | max | p99 per window | event-loop delay, worst window p99 / max | HTTP thread on a CPU / waiting for one | non-2xx or errors |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    console.log(row('baseline: GET /health', health));
    console.log(row('GET /v1/decide', decide));
    const h = summary(health);
    const d = summary(decide);
    console.log(`\np99 ratio decide / baseline: ${(d.p99 / Math.max(1, h.p99)).toFixed(2)}`);
    const extraCpu = decide.mainCpuMs / decide.wallMs - health.mainCpuMs / health.wallMs;
    console.log(
      `HTTP thread CPU per request: /health ${((1000 * health.mainCpuMs) / health.latencies.length).toFixed(0)} µs, ` +
        `/v1/decide ${((1000 * decide.mainCpuMs) / decide.latencies.length).toFixed(0)} µs ` +
        `(both include the ingest beside them; decide's windows ${(100 * extraCpu).toFixed(0)} points busier)`,
    );
    if (ingested) {
      const events = ingested.messages / (ingested.elapsedMs / 1000);
      console.log(
        `ingest beside it: ${ingestRate} requests/s offered (${ingestRate * 100} events/s), ${Math.round(events)} events/s acked, ` +
          `${ingested.ok}/${ingested.requests} ok, p50 ${ingested.latencyMs.p50.toFixed(1)} ms, p99 ${ingested.latencyMs.p99.toFixed(1)} ms`,
      );
    }
  } finally {
    load.stop();
    await server.close();
  }
}
