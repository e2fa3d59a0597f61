// `npm run bench -- dashboard [--people N] [--events-per-person K] [--repeat R] [--days D]`:
// is the dashboard still fast on a large instance (issue #7: "stays fast on the simulated
// world at 1M profiles")?
//
// 1. Fill: a real server (startTestServer: SQLite state and log, DuckDB events) gets N people
//    × K messages (bench/support/shop-history.ts) through the local import path, the one
//    `rapport import events` uses (LocalSink: parsePayload, then the server's ingest log in
//    transactions of 5,000); the server's own processors apply them. Reported: the append
//    rate and the end-to-end rate (until profiles, events and segments reach the log head).
// 2. Setup through the admin API, as the dashboard would: the e-commerce lifecycle funnel,
//    five segments (each timed from POST to live), a journey, placements, a value refresh.
// 3. Every admin API call the dashboard's pages make, R times each, one at a time (after one
//    untimed warm-up call): p50, p95, max and bytes of each answer. Baseline: GET /health on
//    the same server in the same run (HTTP, routing and the in-process client). Any answer
//    over 200 KB, and any list returning more rows than the page shows, is flagged.
//
// The HTTP client runs in the server's process (like the tests): its cost is in the baseline.
// Raw results go to bench/results/dashboard-*.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { LocalSink } from '../src/transfer/index.ts';
import { startTestServer, type TestServer } from '../test/support/server.ts';
import { machine } from './support/process-stats.ts';
import { personIds, shopHistory } from './support/shop-history.ts';

const MAX_BYTES = 200 * 1024;
const ROUTE_BUDGET_MS = 60_000;

interface Flags {
  people: number;
  eventsPerPerson: number;
  repeat: number;
  days: number;
}

function parseFlags(args: string[]): Flags {
  const flag = (name: string, fallback: number, min: number) => {
    const at = args.indexOf(`--${name}`);
    if (at === -1) return fallback;
    const value = Number(args[at + 1]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} needs a whole number ≥ ${min}`);
    return value;
  };
  return {
    people: flag('people', 1_000_000, 1),
    eventsPerPerson: flag('events-per-person', 5, 1),
    repeat: flag('repeat', 20, 1),
    days: flag('days', 180, 2),
  };
}

const SEGMENTS = [
  { id: 'buyers', name: 'Buyers', text: 'performed "Order Completed"' },
  { id: 'big-spenders', name: 'Big spenders', text: 'sum of revenue in "Order Completed" > 150' },
  { id: 'premium', name: 'Premium plan', text: 'trait plan = "premium"' },
  { id: 'recent-viewers', name: 'Viewed this month', text: 'performed "Product Viewed" in last 30 days' },
  { id: 'lapsed', name: 'Lapsed', text: 'last seen more than 60 days ago' },
];

// Entered by an event the history never has: its list and stats are timed, not its running.
const JOURNEY = {
  format: 1,
  id: 'welcome',
  version: 1,
  name: 'Welcome new sign-ups',
  entry: { kind: 'event', event: 'Signed Up' },
  reentry: { mode: 'once' },
  goal: { event: 'Order Completed' },
  defaultTimeZone: 'Europe/Amsterdam',
  start: 'task',
  steps: [
    { id: 'task', type: 'createTask', queue: 'sales', title: 'Say hello', next: 'done' },
    { id: 'done', type: 'exit' },
  ],
};

const PLACEMENTS = {
  placements: [{ id: 'home-hero', defaultOfferId: 'welcome-banner' }],
  offers: [
    {
      id: 'welcome-banner',
      placement: 'home-hero',
      priority: 10,
      expectedValue: 1,
      requiresPersonalization: false,
      content: { headline: 'Welcome' },
    },
  ],
};

async function api(server: TestServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.adminToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  // biome-ignore lint/suspicious/noExplicitAny: the bench reads whatever JSON the API answers
  return (text ? JSON.parse(text) : undefined) as any;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 6 * 3_600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until profiles, events and segments have applied the whole log. */
async function settle(server: TestServer): Promise<void> {
  const head = await server.server.state.log.headSeq();
  const long = 6 * 3_600_000;
  await server.server.pipeline.waitFor(head, long);
  await server.server.pipeline.waitForSegments(head, long);
}

interface FillResult {
  messages: number;
  appendMs: number;
  endToEndMs: number;
  appendPerS: number;
  endToEndPerS: number;
  profiles: number;
}

async function fill(server: TestServer, flags: Flags, now: number): Promise<FillResult> {
  const sink = new LocalSink(server.server.state.log, 'import', 5000);
  const started = performance.now();
  let messages = 0;
  let lastReport = started;
  for (const batch of shopHistory(
    { people: flags.people, eventsPerPerson: flags.eventsPerPerson, days: flags.days, seed: 42, now },
    5000,
  )) {
    const result = await sink.send(batch);
    if (result.rejected.length > 0) throw new Error(`import rejected: ${JSON.stringify(result.rejected[0])}`);
    messages += result.imported;
    // The HTTP path wakes the processors after each commit; a local import waits for their poll.
    server.server.pipeline.wake();
    // The log append is synchronous: yield so the worker's progress messages come through.
    await new Promise((resolve) => setImmediate(resolve));
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      const status = server.server.pipeline.status();
      process.stderr.write(
        `  appended ${messages.toLocaleString('en')} messages; processors at ${status.profilesOffset.toLocaleString('en')}\n`,
      );
    }
  }
  const appendMs = performance.now() - started;
  await settle(server);
  const endToEndMs = performance.now() - started;
  const status = await api(server, 'GET', '/api/status');
  return {
    messages,
    appendMs,
    endToEndMs,
    appendPerS: (messages / appendMs) * 1000,
    endToEndPerS: (messages / endToEndMs) * 1000,
    profiles: Number(status.profiles ?? Number.NaN),
  };
}

interface SetupTimes {
  funnelMs: number;
  segmentMs: Record<string, number>;
  segmentSizes: Record<string, number>;
  valueRefreshMs: number;
  valueCustomers: number;
}

async function setup(server: TestServer): Promise<SetupTimes> {
  await api(server, 'PUT', '/api/placements', PLACEMENTS);
  await api(server, 'POST', '/api/journeys', JOURNEY);

  let started = performance.now();
  await api(server, 'PUT', '/api/funnels/lifecycle', { preset: 'ecommerce' });
  await until('the lifecycle funnel going live', async () => {
    const { funnels } = await api(server, 'GET', '/api/funnels');
    return funnels.every((f: { status?: string }) => f.status === undefined || f.status === 'live');
  });
  const funnelMs = performance.now() - started;
  console.log(`lifecycle funnel (e-commerce preset) live in ${seconds(funnelMs)}`);

  const segmentMs: Record<string, number> = {};
  const segmentSizes: Record<string, number> = {};
  for (const segment of SEGMENTS) {
    started = performance.now();
    await api(server, 'POST', '/api/segments', segment);
    let size = 0;
    await until(`segment ${segment.id} going live`, async () => {
      const answer = await api(server, 'GET', `/api/segments/${segment.id}`);
      size = answer.size;
      return answer.status === 'live';
    });
    segmentMs[segment.id] = performance.now() - started;
    segmentSizes[segment.id] = size;
    console.log(
      `segment ${segment.id} (${segment.text}): live in ${seconds(segmentMs[segment.id]!)}, ${size.toLocaleString('en')} members`,
    );
  }
  await settle(server);

  started = performance.now();
  const summary = await api(server, 'POST', '/api/value/refresh');
  const valueRefreshMs = performance.now() - started;
  console.log(
    `value refresh: ${seconds(valueRefreshMs)} for ${Number(summary.customers).toLocaleString('en')} customers`,
  );
  await settle(server);
  return { funnelMs, segmentMs, segmentSizes, valueRefreshMs, valueCustomers: Number(summary.customers) };
}

interface Call {
  /** What the dashboard shows with it. */
  page: string;
  method: 'GET' | 'POST';
  /** The route as documented, to check it exists. */
  route: string;
  path: string;
  body?: unknown;
  /** Rows the page shows from this answer, for list routes. */
  shows?: number;
  /** Where the rows are in the answer. */
  rows?: (body: unknown) => number;
}

const items = (key: string) => (body: unknown) => {
  const list = (body as Record<string, unknown>)[key];
  return Array.isArray(list) ? list.length : 0;
};

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function calls(profileId: string, email: string, now: number): Call[] {
  const id = encodeURIComponent(profileId);
  return [
    { page: 'baseline', method: 'GET', route: '/health', path: '/health' },
    { page: 'Overview', method: 'GET', route: '/api/status', path: '/api/status' },
    {
      page: 'Overview',
      method: 'GET',
      route: '/api/stats/events',
      path: '/api/stats/events?by=day&days=30',
    },
    { page: 'Overview', method: 'GET', route: '/api/messages/stats', path: '/api/messages/stats' },
    { page: 'Overview', method: 'GET', route: '/api/funnels', path: '/api/funnels' },
    { page: 'Overview, Funnel', method: 'GET', route: '/api/funnel', path: '/api/funnel?funnel=lifecycle' },
    {
      page: 'Funnel (cohort)',
      method: 'GET',
      route: '/api/funnel',
      path: '/api/funnel?funnel=lifecycle&cohort=segment:buyers',
    },
    { page: 'Overview, Journeys', method: 'GET', route: '/api/journeys', path: '/api/journeys' },
    { page: 'Overview, Journeys', method: 'GET', route: '/api/journey-stats', path: '/api/journey-stats' },
    {
      page: 'Overview, Journeys',
      method: 'GET',
      route: '/api/journeys/{id}/stats',
      path: '/api/journeys/welcome/stats',
    },
    {
      page: 'Journey builder, Segments (pickers)',
      method: 'GET',
      route: '/api/names',
      path: '/api/names',
    },
    {
      page: 'Journey builder (check)',
      method: 'POST',
      route: '/api/journeys/check',
      path: '/api/journeys/check',
      body: { ...JOURNEY, version: 2 },
    },
    {
      page: 'Funnel and paths',
      method: 'GET',
      route: '/api/paths',
      path: `/api/paths?from=${day(now - 29 * 86_400_000)}&steps=4&top=6`,
    },
    {
      page: 'Segments',
      method: 'GET',
      route: '/api/segments',
      path: '/api/segments?trendDays=7',
    },
    { page: 'Segments', method: 'GET', route: '/api/segments/{id}', path: '/api/segments/buyers' },
    {
      page: 'Segments',
      method: 'GET',
      route: '/api/segments/{id}/members',
      path: '/api/segments/buyers/members?limit=20',
      shows: 20,
      rows: items('members'),
    },
    {
      page: 'Segments',
      method: 'GET',
      route: '/api/segments/{id}/history',
      path: '/api/segments/buyers/history?days=30',
    },
    {
      page: 'Segments (builder, events)',
      method: 'POST',
      route: '/api/segments/preview',
      path: '/api/segments/preview?sample=10',
      body: { text: 'sum of revenue in "Order Completed" in last 90 days > 200' },
      shows: 10,
      rows: items('sample'),
    },
    {
      page: 'Segments (builder, trait)',
      method: 'POST',
      route: '/api/segments/preview',
      path: '/api/segments/preview?sample=10',
      body: { text: 'trait city = "Lisbon" and performed "Product Viewed" at least 2 times' },
      shows: 10,
      rows: items('sample'),
    },
    {
      page: 'People (list)',
      method: 'GET',
      route: '/api/profiles',
      path: '/api/profiles?limit=25',
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'People (search by email)',
      method: 'GET',
      route: '/api/profiles',
      path: `/api/profiles?q=${encodeURIComponent(email)}&limit=25`,
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'People (trait, common value)',
      method: 'GET',
      route: '/api/profiles',
      path: '/api/profiles?trait.plan=premium&limit=25',
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'People (trait, no match)',
      method: 'GET',
      route: '/api/profiles',
      path: '/api/profiles?trait.city=Atlantis&limit=25',
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'People explorer (everyone, newest first, counted)',
      method: 'POST',
      route: '/api/people/search',
      path: '/api/people/search',
      body: { limit: 25 },
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'People explorer (any trait value contains)',
      method: 'POST',
      route: '/api/people/search',
      path: '/api/people/search',
      body: { q: 'Lisbon', limit: 25 },
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'People explorer (sorted by a trait)',
      method: 'POST',
      route: '/api/people/search',
      path: '/api/people/search',
      body: { sort: 'trait:plan', limit: 25 },
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'People explorer (rule filter)',
      method: 'POST',
      route: '/api/people/search',
      path: '/api/people/search',
      body: { text: 'performed "Order Completed" at least 2 times', sort: 'eventCount', limit: 25 },
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'Person 360 (surveys)',
      method: 'GET',
      route: '/api/people/{id}/surveys',
      path: `/api/people/${id}/surveys`,
    },
    {
      page: 'People (lookup)',
      method: 'GET',
      route: '/api/profiles/lookup',
      path: `/api/profiles/lookup?email=${encodeURIComponent(email)}`,
    },
    { page: 'Person 360', method: 'GET', route: '/api/profiles/{id}', path: `/api/profiles/${id}?events=0` },
    {
      page: 'Person 360',
      method: 'GET',
      route: '/api/profiles/{id}/events',
      path: `/api/profiles/${id}/events?limit=15`,
      shows: 15,
      rows: items('items'),
    },
    {
      page: 'Person 360',
      method: 'GET',
      route: '/api/profiles/{id}/consent',
      path: `/api/profiles/${id}/consent`,
    },
    {
      page: 'Person 360',
      method: 'GET',
      route: '/api/profiles/{id}/channels',
      path: `/api/profiles/${id}/channels`,
    },
    {
      page: 'Person 360',
      method: 'GET',
      route: '/api/profiles/{id}/journeys',
      path: `/api/profiles/${id}/journeys`,
    },
    {
      page: 'Person 360',
      method: 'GET',
      route: '/api/segments/{id}/members/{profileId}/why',
      path: `/api/segments/buyers/members/${id}/why`,
    },
    {
      page: 'Person 360',
      method: 'GET',
      route: '/api/decisions',
      path: `/api/decisions?profileId=${id}&limit=20`,
      shows: 20,
      rows: items('items'),
    },
    {
      page: 'Messages',
      method: 'GET',
      route: '/api/decisions',
      path: '/api/decisions?limit=25',
      shows: 25,
      rows: items('items'),
    },
    {
      page: 'Messages',
      method: 'GET',
      route: '/api/outbox',
      path: '/api/outbox?limit=15',
      shows: 15,
      rows: items('items'),
    },
    {
      page: 'Messages',
      method: 'GET',
      route: '/api/tasks',
      path: '/api/tasks?status=open&limit=15',
      shows: 15,
      rows: items('items'),
    },
    { page: 'Placements', method: 'GET', route: '/api/placements', path: '/api/placements' },
    { page: 'Placements', method: 'GET', route: '/api/placements/stats', path: '/api/placements/stats' },
    {
      page: 'Value',
      method: 'GET',
      route: '/api/value/ranking',
      path: '/api/value/ranking?order=top&limit=15',
      shows: 15,
      rows: items('items'),
    },
    { page: 'Value', method: 'GET', route: '/api/value/renewals', path: '/api/value/renewals?months=12' },
    {
      page: 'Value',
      method: 'GET',
      route: '/api/value/budget',
      path: '/api/value/budget?amount=1000&costPerCustomer=20',
    },
    { page: 'Value', method: 'GET', route: '/api/value/distribution', path: '/api/value/distribution' },
    { page: 'Value', method: 'GET', route: '/api/value/scatter', path: '/api/value/scatter' },
    { page: 'Value', method: 'GET', route: '/api/value/validation', path: '/api/value/validation' },
    { page: 'Settings', method: 'GET', route: '/api/write-keys', path: '/api/write-keys' },
    { page: 'Settings', method: 'GET', route: '/api/admin-tokens', path: '/api/admin-tokens' },
    { page: 'Settings', method: 'GET', route: '/api/channels', path: '/api/channels' },
    {
      page: 'Settings',
      method: 'GET',
      route: '/api/channels/webhook-signing-key',
      path: '/api/channels/webhook-signing-key',
    },
    { page: 'Settings', method: 'GET', route: '/api/consent-purposes', path: '/api/consent-purposes' },
    { page: 'Settings', method: 'GET', route: '/api/arbitration-policy', path: '/api/arbitration-policy' },
  ];
}

interface Timing {
  page: string;
  method: string;
  path: string;
  status: number;
  calls: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  bytes: number;
  rows?: number;
  shows?: number;
  /** p50 over the baseline's p50. */
  ratio: number;
  flags: string[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, at)]!;
}

async function once(server: TestServer, call: Call): Promise<{ ms: number; status: number; text: string }> {
  const started = performance.now();
  const response = await fetch(`${server.url}${call.path}`, {
    method: call.method,
    headers: {
      authorization: `Bearer ${server.adminToken}`,
      ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
  });
  const text = await response.text();
  return { ms: performance.now() - started, status: response.status, text };
}

async function time(server: TestServer, call: Call, repeat: number): Promise<Omit<Timing, 'ratio'>> {
  const warm = await once(server, call);
  if (warm.status >= 400)
    throw new Error(`${call.method} ${call.path}: ${warm.status} ${warm.text.slice(0, 300)}`);
  const samples: number[] = [];
  let last = warm;
  // A route that takes seconds at 1M profiles stops after a minute of samples (3 at least):
  // the table says how many calls each figure comes from.
  const budgetEnds = performance.now() + ROUTE_BUDGET_MS;
  for (let i = 0; i < repeat && (i < 3 || performance.now() < budgetEnds); i++) {
    last = await once(server, call);
    samples.push(last.ms);
  }
  samples.sort((a, b) => a - b);
  const bytes = Buffer.byteLength(last.text);
  const flags: string[] = [];
  if (bytes > MAX_BYTES) flags.push(`over ${MAX_BYTES / 1024} KB`);
  let rows: number | undefined;
  if (call.rows) {
    rows = call.rows(JSON.parse(last.text));
    if (call.shows !== undefined && rows > call.shows) flags.push(`${rows} rows for ${call.shows} shown`);
  }
  return {
    page: call.page,
    method: call.method,
    path: call.path,
    status: last.status,
    calls: samples.length,
    p50Ms: quantile(samples, 0.5),
    p95Ms: quantile(samples, 0.95),
    maxMs: samples.at(-1)!,
    bytes,
    ...(rows !== undefined ? { rows } : {}),
    ...(call.shows !== undefined ? { shows: call.shows } : {}),
    flags,
  };
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

function millis(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function kb(bytes: number): string {
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`;
}

export async function run(args: string[]): Promise<void> {
  const flags = parseFlags(args);
  const now = Date.now();
  console.log(
    `dashboard bench: ${flags.people.toLocaleString('en')} people × ${flags.eventsPerPerson} messages over ${flags.days} days, ${flags.repeat} timed calls a route`,
  );
  console.log(JSON.stringify(machine()));
  const server = await startTestServer();
  try {
    const filled = await fill(server, flags, now);
    console.log(
      `fill: ${filled.messages.toLocaleString('en')} messages appended in ${seconds(filled.appendMs)} (${Math.round(filled.appendPerS).toLocaleString('en')}/s), applied end to end in ${seconds(filled.endToEndMs)} (${Math.round(filled.endToEndPerS).toLocaleString('en')}/s); ${filled.profiles.toLocaleString('en')} profiles`,
    );
    const times = await setup(server);

    const documented = new Set(
      Object.keys(
        ((await api(server, 'GET', '/api/openapi.json')) as { paths: Record<string, unknown> }).paths,
      ),
    );
    const person = personIds(Math.floor(flags.people / 2));
    const profileId = (
      await api(server, 'GET', `/api/profiles/lookup?email=${encodeURIComponent(person.email)}`)
    ).profileId as string;
    const plan = calls(profileId, person.email, now);
    const missing = plan.filter((call) => !documented.has(call.route)).map((call) => call.route);
    const timings: Omit<Timing, 'ratio'>[] = [];
    for (const call of plan) {
      if (!documented.has(call.route)) continue;
      timings.push(await time(server, call, flags.repeat));
    }
    const baseline = timings[0]!.p50Ms;
    const results: Timing[] = timings.map((timing) => ({ ...timing, ratio: timing.p50Ms / baseline }));

    console.log(
      `\n${flags.people.toLocaleString('en')} people, ${filled.messages.toLocaleString('en')} messages; each route ${flags.repeat} times one after another (bytes: the JSON body)\n`,
    );
    console.log(
      '| page | call | n | p50 ms | p95 ms | max ms | p50 / baseline | bytes | rows (shown) | flags |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      const rows = r.rows !== undefined ? `${r.rows} (${r.shows})` : '';
      console.log(
        `| ${r.page} | \`${r.method} ${r.path.length > 70 ? `${r.path.slice(0, 67)}...` : r.path}\` | ${r.calls} | ${millis(r.p50Ms)} | ${millis(r.p95Ms)} | ${millis(r.maxMs)} | ${r.ratio.toFixed(1)} | ${kb(r.bytes)} | ${rows} | ${r.flags.join('; ')} |`,
      );
    }
    if (missing.length > 0)
      console.log(`\nnot on this server (skipped): ${[...new Set(missing)].join(', ')}`);
    const flagged = results.filter((r) => r.flags.length > 0);
    const slow = results.filter((r) => r.p50Ms > 1000);
    console.log(
      flagged.length === 0
        ? `\nevery answer under ${MAX_BYTES / 1024} KB and no list returns more rows than its page shows`
        : `\nFLAGGED: ${flagged.map((r) => `${r.method} ${r.path}: ${r.flags.join('; ')}`).join('\n  ')}`,
    );
    if (slow.length > 0)
      console.log(
        `SLOW (p50 over 1 s): ${slow.map((r) => `${r.method} ${r.path} ${millis(r.p50Ms)} ms`).join(', ')}`,
      );

    const result = {
      machine: machine(),
      loadAverage: (await import('node:os')).loadavg(),
      flags,
      fill: filled,
      setup: times,
      baseline: { route: 'GET /health', p50Ms: baseline },
      routes: results,
      missingRoutes: [...new Set(missing)],
    };
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const out = new URL(
      `./results/dashboard-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`,
      import.meta.url,
    );
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten ${out.pathname}`);
  } finally {
    await server.close();
  }
}
