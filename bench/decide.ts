// `npm run bench -- decide [--rate 2000] [--seconds 20] [--people 5000] [--ingest REQ_PER_S]`:
// /v1/decide on a real server at a fixed request rate, known and unknown people mixed, beside
// the same server's /health at the same rate (the baseline: HTTP, auth-free routing and JSON in
// this process). The load runs in a child process. Target: p99 under 5 ms at 2,000 requests/s.
// --ingest: /v1/batch bodies of 100 messages at that many requests/s (the ingest bench's load
// generator, open loop) for the whole of both measurements, e.g. half the end-to-end rate
// `npm run bench -- ingest` reports (issue #19: decide's p99 within 1.5× of /health's).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer } from '../test/support/server.ts';
import { LoadGenerator } from './ingest.ts';

const execFileAsync = promisify(execFile);

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
}

interface LoadResult {
  latency: { p50: number; p99: number; max: number; average: number };
  requests: { total: number; average: number };
  non2xx: number;
  errors: number;
}

async function load(
  url: string,
  paths: string[],
  rate: number,
  seconds: number,
  headers: Record<string, string>,
) {
  // Through a file: thousands of paths do not fit in a command line.
  const file = join(mkdtempSync(join(tmpdir(), 'rapport-decide-')), 'load.json');
  writeFileSync(file, JSON.stringify({ url, paths, rate, seconds, connections: 20, headers }));
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', 'bench/support/fixed-rate.ts', file],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as LoadResult;
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

function row(label: string, result: LoadResult) {
  const { p50, p99, max } = result.latency;
  const rate = result.requests.average;
  return `| ${label} | ${rate.toFixed(0)} | ${p50} ms | ${p99} ms | ${max} ms | ${result.non2xx + result.errors} |`;
}

export async function run(args: string[]): Promise<void> {
  const rate = flag(args, 'rate', 2000);
  const seconds = flag(args, 'seconds', 20);
  const people = flag(args, 'people', 5000);
  const server = await startTestServer();
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
    // Warm the person cache once, as a live site would be.
    await load(server.url, paths, rate, 5, headers);
    const ingestRate = flag(args, 'ingest', 0);
    const ingestLoad = ingestRate > 0 ? await LoadGenerator.start() : undefined;
    const ingest = ingestLoad?.run({
      url: server.url,
      path: '/v1/batch',
      headers: { ...headers, 'content-type': 'application/json' },
      connections: 4,
      // Both measurements below, and the start of the child that runs each of them.
      durationMs: (2 * seconds + 6) * 1000,
      rate: ingestRate,
    });
    const baseline = await load(server.url, ['/health'], rate, seconds, {});
    const decide = await load(server.url, paths, rate, seconds, headers);
    const ingested = await ingest;
    ingestLoad?.stop();
    console.log(
      `\n${rate} requests/s for ${seconds} s, ${people} known people, 1 in 4 requests for an unknown person\n`,
    );
    console.log('| route | requests/s | p50 | p99 | max | non-2xx or errors |');
    console.log('|---|---|---|---|---|---|');
    console.log(row('baseline: GET /health', baseline));
    console.log(row('GET /v1/decide', decide));
    console.log(
      `\np99 ratio decide / baseline: ${(decide.latency.p99 / Math.max(1, baseline.latency.p99)).toFixed(2)}`,
    );
    if (ingested) {
      const events = ingested.messages / (ingested.elapsedMs / 1000);
      console.log(
        `ingest beside it: ${ingestRate} requests/s offered (${ingestRate * 100} events/s), ${Math.round(events)} events/s acked, ` +
          `${ingested.ok}/${ingested.requests} ok, p50 ${ingested.latencyMs.p50.toFixed(1)} ms, p99 ${ingested.latencyMs.p99.toFixed(1)} ms`,
      );
    }
  } finally {
    await server.close();
  }
}
