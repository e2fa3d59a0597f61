// `npm run bench -- pages [--people N] [--days D] [--repeat R] [--url URL --admin-token T]`: is
// every dashboard page interactive within 1 s on the medium demo (issue #17)?
// With --url, step 1 is skipped and the pages of that running, already filled server are timed
// (the admin token from --admin-token or RAPPORT_ADMIN_TOKEN): the same data before and after
// a change, without the half-hour fill.
//
// 1. Fill: a real server (startTestServer: SQLite state and log, DuckDB events) gets the
//    simulated shop of `rapport demo --size medium` (20,000 people over 365 days by default)
//    over HTTP with an admin token, as `rapport demo` fills a server (planted experiments, the
//    e-commerce funnel, the demo segments, value scores, recommendations, loyalty), plus the
//    placements and welcome journey of test/web/world.ts; until every processor is at the head.
// 2. Chromium (playwright-core, /usr/bin/chromium) signs in and opens every page of the main
//    navigation R times after one untimed warm-up round, timing each from the click until the
//    page is interactive (test/support/browser.ts openTimed: its title and heading drawn, no
//    fetch in flight, nothing says "Loading").
// 3. Baseline, in the same run and browser: the "Your account" page, which makes one small
//    call (GET /api/session): the shell's cost of routing and drawing a page with next to no
//    data. Each page's median is reported with its ratio to the baseline's median.
// Raw results go to bench/results/pages-*.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { runDemo } from '../src/simulate/index.ts';
import {
  closeBrowser,
  countFetches,
  launchBrowser,
  navigationLabels,
  openTimed,
  signIn,
} from '../test/support/browser.ts';
import { startTestServer, type TestServer } from '../test/support/server.ts';
import { api, PLACEMENTS, WELCOME_JOURNEY } from '../test/web/world.ts';
import { machine } from './support/process-stats.ts';

const BASELINE = 'Your account';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a whole number ≥ 1`);
  return value;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function until(what: string, test: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30 * 60_000;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function text(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
}

/** The filled server to time: a running one (--url), or a fresh one filled with the demo. */
async function serverToTime(
  args: string[],
  people: number,
  days: number,
): Promise<{
  server: Pick<TestServer, 'url' | 'adminToken' | 'adminRequest'>;
  world: World;
  close(): Promise<void>;
}> {
  const url = text(args, 'url');
  if (url === undefined) {
    const server = await startTestServer();
    try {
      return { server, world: await fill(server, people, days), close: () => server.close() };
    } catch (error) {
      await server.close();
      throw error;
    }
  }
  const adminToken = text(args, 'admin-token') ?? process.env.RAPPORT_ADMIN_TOKEN;
  if (!adminToken) throw new Error('--url needs --admin-token (or RAPPORT_ADMIN_TOKEN)');
  const adminRequest = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = await response.text();
    return { status: response.status, body: answer ? JSON.parse(answer) : undefined };
  };
  const server = { url, adminToken, adminRequest } as Pick<TestServer, 'url' | 'adminToken' | 'adminRequest'>;
  const status = await api(server as TestServer, 'GET', '/api/status');
  return {
    server,
    world: { people, days, profiles: Number(status.profiles), messages: null, fillMs: null, url },
    close: async () => undefined,
  };
}

interface World {
  people: number;
  days: number;
  profiles: number;
  messages: number | null;
  fillMs: number | null;
  url?: string;
}

async function fill(server: TestServer, people: number, days: number): Promise<World> {
  const fillStarted = performance.now();
  const today = new Date();
  const start = new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - days * 86_400_000,
  );
  await api(server, 'PUT', '/api/placements', PLACEMENTS);
  const demo = await runDemo({
    kind: 'store',
    seed: 1,
    people,
    days,
    start,
    url: server.url,
    writeKey: server.writeKey,
    // As `rapport demo` does with an admin token: the planted experiments defined, the
    // funnel switched on, the demo segments saved, value scored, recommendations and loyalty run.
    experiments: true,
    adminToken: server.adminToken,
    batchSize: 500,
  });
  await server.settle();
  await api(server, 'POST', '/api/journeys', WELCOME_JOURNEY);
  await until('segments going live', async () => {
    const { segments } = await api(server, 'GET', '/api/segments');
    return segments.every((s: { status: string }) => s.status === 'live');
  });
  await server.settle();
  const status = await api(server, 'GET', '/api/status');
  const fillMs = performance.now() - fillStarted;
  process.stderr.write(
    `filled: ${Number(status.profiles).toLocaleString('en')} profiles from ${demo.messages.toLocaleString('en')} messages in ${(fillMs / 1000).toFixed(0)} s\n`,
  );
  return { people, days, profiles: Number(status.profiles), messages: demo.messages, fillMs };
}

export async function run(args: string[]): Promise<void> {
  const people = flag(args, 'people', 20_000);
  const days = flag(args, 'days', 365);
  const repeat = flag(args, 'repeat', 3);
  const { server, world, close } = await serverToTime(args, people, days);
  try {
    const { browser, page } = await launchBrowser();
    try {
      await countFetches(browser);
      await signIn(page, server as TestServer);
      const labels = await navigationLabels(page);
      const times = new Map<string, number[]>(labels.map((label) => [label, []]));
      for (let round = 0; round <= repeat; round++) {
        for (const label of labels) {
          const ms = await openTimed(page, label);
          if (round > 0) times.get(label)?.push(ms);
        }
      }
      const baseline = median(times.get(BASELINE) ?? []);
      const pages = labels.map((label) => {
        const values = times.get(label) ?? [];
        const p50 = median(values);
        return {
          page: label,
          p50Ms: p50,
          maxMs: Math.max(...values),
          ratio: p50 / baseline,
          over1s: p50 > 1000,
        };
      });
      const result = {
        at: new Date().toISOString(),
        machine: machine(),
        world,
        repeat,
        baseline: { page: BASELINE, p50Ms: baseline },
        pages,
      };
      console.log(`\nbaseline "${BASELINE}": p50 ${baseline.toFixed(0)} ms`);
      console.log('page | p50 ms | max ms | × baseline');
      for (const row of pages)
        console.log(
          `${row.page} | ${row.p50Ms.toFixed(0)} | ${row.maxMs.toFixed(0)} | ${row.ratio.toFixed(1)}×${row.over1s ? '  OVER 1 s' : ''}`,
        );
      mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
      const out = new URL(
        `./results/pages-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`,
        import.meta.url,
      );
      writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await closeBrowser(browser);
    }
  } finally {
    await close();
  }
}
