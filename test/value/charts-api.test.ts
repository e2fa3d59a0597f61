// The value page's chart APIs against a real server and a real value refresh on a simulated
// shop: the CLV / value score / P(alive) distribution (counts and percentiles checked against
// the per-profile values read through the profile API), the P(alive) × CLV scatter (capped,
// deterministic), the model check (checked against `rapport clv validate` on the same orders
// exported to a file), bad parameters, the admin token, a restart, answers read from what the
// refresh stored, and erasure reaching the stored scatter samples.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createServer } from '../../src/server.ts';
import { simulateWorld } from '../../src/simulate/index.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { rapport, tempDir, writeFile } from './fixtures.ts';

const DAY = 86_400_000;
const PEOPLE = 300;
const DAYS = 300;

let t: TestServer;
/** profileId → computed properties, read one profile at a time through GET /api/profiles/{id}. */
const computed = new Map<string, Record<string, unknown>>();

async function admin(path: string, token = t.adminToken): Promise<{ status: number; body: any }> {
  const response = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** Deep equality, numbers equal to 1e-6 relative (or 1e-9 absolute near zero). */
function expectSameNumbers(actual: unknown, expected: unknown, path = 'body'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = Math.max(1e-9, Math.abs(expected) * 1e-6);
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
    return;
  }
  if (expected === null || typeof expected !== 'object') {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(typeof actual, path).toBe('object');
  const keys = Object.keys(expected as object);
  expect(Object.keys(actual as object).sort(), path).toEqual([...keys].sort());
  for (const key of keys)
    expectSameNumbers(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
}

async function readEveryProfile(): Promise<void> {
  computed.clear();
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await admin(
      `/api/profiles?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(page.status).toBe(200);
    ids.push(...page.body.items.map((item: { profileId: string }) => item.profileId));
    cursor = page.body.nextCursor;
  } while (cursor);
  for (let start = 0; start < ids.length; start += 20) {
    await Promise.all(
      ids.slice(start, start + 20).map(async (id) => {
        const profile = await admin(`/api/profiles/${encodeURIComponent(id)}`);
        expect(profile.status).toBe(200);
        const values: Record<string, unknown> = {};
        for (const [name, entry] of Object.entries(profile.body.computedProperties ?? {}))
          values[name] = (entry as { value: unknown }).value;
        computed.set(id, values);
      }),
    );
  }
}

/** Percentile by linear interpolation between order statistics, computed here from scratch. */
function percentile(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const low = sorted[Math.floor(h)]!;
  return low + (h - Math.floor(h)) * (sorted[Math.ceil(h)]! - low);
}

function valuesOf(name: string): number[] {
  return [...computed.values()]
    .map((values) => values[name])
    .filter((value): value is number => typeof value === 'number')
    .sort((left, right) => left - right);
}

beforeAll(async () => {
  t = await startTestServer({}, {});
  const start = new Date(Math.floor((Date.now() - DAYS * DAY) / DAY) * DAY);
  const world = simulateWorld({ kind: 'store', seed: 5, people: PEOPLE, start, days: DAYS });
  let batch: unknown[] = [];
  for (const message of world.messages()) {
    batch.push(message);
    if (batch.length === 500) {
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      batch = [];
    }
  }
  if (batch.length > 0) expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  await t.settle();
}, 300_000);

afterAll(async () => t?.close());

describe('value page charts API', () => {
  it('needs the admin token', async () => {
    for (const path of ['/api/value/distribution', '/api/value/scatter', '/api/value/validation']) {
      expect((await fetch(`${t.url}${path}`)).status).toBe(401);
      expect((await admin(path, 'rk_admin_wrong')).status).toBe(401);
    }
  });

  it('is in the OpenAPI document with its parameters and the admin token', async () => {
    const document = (await (await fetch(`${t.url}/api/openapi.json`)).json()) as any;
    for (const [path, parameters] of [
      ['/api/value/distribution', ['metric', 'bins']],
      ['/api/value/scatter', ['limit']],
      ['/api/value/validation', []],
    ] as const) {
      const get = document.paths[path]?.get;
      expect(get, path).toBeDefined();
      expect(get.security).toEqual([{ adminToken: [] }]);
      expect((get.parameters ?? []).map((p: { name: string }) => p.name).sort()).toEqual(
        [...parameters].sort(),
      );
      expect(get.responses['200'].content['application/json'].schema.properties).toBeDefined();
    }
  });

  it('before a refresh: empty distribution and scatter, validation 404 saying to refresh', async () => {
    const distribution = await admin('/api/value/distribution?metric=clv');
    expect(distribution.status).toBe(200);
    expect(distribution.body).toMatchObject({
      metric: 'clv',
      computedAt: null,
      count: 0,
      bins: [],
      percentiles: null,
    });
    expect(distribution.body.withoutValue).toBe(distribution.body.profiles);
    expect(distribution.body.profiles).toBeGreaterThan(0);
    const scatter = await admin('/api/value/scatter');
    expect(scatter.body).toMatchObject({ total: 0, sampled: 0, points: [] });
    const validation = await admin('/api/value/validation');
    expect(validation.status).toBe(404);
    expect(validation.body.message).toMatch(/rapport value refresh/);
  });

  it('refuses bad parameters with 400 naming the field and the limit', async () => {
    const cases: [string, RegExp][] = [
      ['/api/value/distribution?metric=revenue', /metric.*(clv|allowed)/],
      ['/api/value/distribution?bins=0', /bins.*>= 1/],
      ['/api/value/distribution?bins=101', /bins.*<= 100/],
      ['/api/value/distribution?bins=ten', /bins.*integer/],
      ['/api/value/scatter?limit=2001', /limit.*<= 2000/],
      ['/api/value/scatter?limit=0', /limit.*>= 1/],
    ];
    for (const [path, message] of cases) {
      const answer = await admin(path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.message, path).toMatch(message);
    }
  });

  it('after a refresh: histogram counts and percentiles agree with every profile’s own values', async () => {
    const refresh = await fetch(`${t.url}/api/value/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(refresh.status).toBe(200);
    const summary = (await refresh.json()) as { computedAt: string };
    await readEveryProfile();
    expect(computed.size).toBeGreaterThan(PEOPLE / 2);

    for (const metric of ['clv', 'value_score', 'p_alive']) {
      const values = valuesOf(metric);
      expect(values.length, metric).toBeGreaterThan(50);
      const { status, body } = await admin(`/api/value/distribution?metric=${metric}&bins=12`);
      expect(status).toBe(200);
      expect(body.computedAt).toBe(summary.computedAt);
      expect(body.profiles).toBe(computed.size);
      expect(body.count).toBe(values.length);
      expect(body.withoutValue).toBe(computed.size - values.length);
      const binned = body.bins.reduce((sum: number, bin: { count: number }) => sum + bin.count, 0);
      expect(binned, metric).toBe(values.length);
      // Each bin holds exactly the values in [from, to) (the last one includes its top edge).
      body.bins.forEach((bin: { from: number; to: number; count: number }, i: number) => {
        const last = i === body.bins.length - 1;
        const inside = values.filter((v) => v >= bin.from && (last ? v <= bin.to : v < bin.to)).length;
        expect(bin.count, `${metric} bin ${i}`).toBe(inside);
      });
      expect(body.min).toBe(values[0]);
      expect(body.max).toBe(values.at(-1));
      expect(body.mean).toBeCloseTo(values.reduce((sum, v) => sum + v, 0) / values.length, 9);
      for (const [name, p] of [
        ['p10', 0.1],
        ['p50', 0.5],
        ['p90', 0.9],
        ['p99', 0.99],
      ] as const) {
        expect(body.percentiles[name], `${metric} ${name}`).toBeCloseTo(percentile(values, p), 9);
      }
      expect(body.scale).toBe(metric === 'clv' ? 'log' : 'linear');
    }
    // CLV's bins are log-spaced: each (past a zero bin) spans a larger range than the one before.
    const clv = (await admin('/api/value/distribution?metric=clv&bins=12')).body;
    const widths = clv.bins
      .filter((bin: { from: number }) => bin.from > 0)
      .map((bin: any) => bin.to - bin.from);
    expect(widths.length).toBeGreaterThan(5);
    for (let i = 2; i < widths.length - 1; i++) expect(widths[i]).toBeGreaterThan(widths[i - 1]);
  });

  it('scatter: P(alive) against CLV, capped, the same sample every time, each point a real profile', async () => {
    const withClv = [...computed].filter(([, values]) => typeof values.clv === 'number');
    // The refresh gives everyone with a CLV a P(alive) too.
    const both = withClv.filter(([, values]) => typeof values.p_alive === 'number');
    expect(both.length).toBe(withClv.length);
    const full = await admin('/api/value/scatter?limit=2000');
    expect(full.status).toBe(200);
    expect(full.body.total).toBe(both.length);
    expect(full.body.sampled).toBe(both.length);
    for (const point of full.body.points) {
      const values = computed.get(point.profileId)!;
      expect(point.clv).toBe(values.clv);
      expect(point.pAlive).toBe(values.p_alive);
    }
    const limit = 25;
    const first = await admin(`/api/value/scatter?limit=${limit}`);
    const second = await admin(`/api/value/scatter?limit=${limit}`);
    expect(first.body.points.length).toBeLessThanOrEqual(limit);
    expect(first.body.points.length).toBeGreaterThan(limit / 2);
    expect(first.body).toEqual(second.body);
    expect(first.body).toMatchObject({ total: both.length, sampled: first.body.points.length, limit });
    expect(first.body.every).toBe(Math.ceil(both.length / limit));
    // Every k-th profile in CLV order (ties by id): the sample spans the whole range of CLV.
    const ordered = both
      .sort(
        ([leftId, left], [rightId, right]) =>
          (left.clv as number) - (right.clv as number) || (leftId < rightId ? -1 : 1),
      )
      .map(([id]) => id);
    expect(first.body.points.map((p: { profileId: string }) => p.profileId)).toEqual(
      ordered.filter((_, i) => i % first.body.every === 0),
    );
  });

  it('validation: deciles and totals agree with `rapport clv validate` on the same orders', async () => {
    const { status, body } = await admin('/api/value/validation');
    expect(status).toBe(200);
    expect(body.note).toBeNull();
    const v = body.validation;
    expect(v.unit).toBe('weeks');
    expect(v.holdoutDays).toBe(Math.round((Date.parse(v.holdoutEnd) - Date.parse(v.calibrationEnd)) / DAY));
    expect(v.groups).toHaveLength(10);

    // The same orders as a transactions file, checked by the CLI the value module ships.
    const orders = await t.server.pipeline.query(
      `SELECT profile_id, timestamp, coalesce(properties->>'revenue', properties->>'total') AS amount
       FROM events WHERE type = 'track' AND name = 'Order Completed' ORDER BY seq`,
    );
    const csv = [
      'customer_id,date,amount',
      ...orders.map(
        (row) =>
          `${row.profile_id},${new Date(String(row.timestamp)).toISOString().slice(0, 10)},${row.amount ?? ''}`,
      ),
    ].join('\n');
    const file = writeFile(tempDir(), 'orders.csv', `${csv}\n`);
    const cli = await rapport(
      'clv',
      'validate',
      file,
      '--calibration-end',
      v.calibrationEnd,
      '--holdout-end',
      v.holdoutEnd,
      '--unit',
      'weeks',
      '--json',
    );
    expect(cli.code).toBe(0);
    const reference = JSON.parse(cli.stdout);
    expect(v.customers).toBe(reference.total.customers);
    expect(v.total.actual).toBe(reference.total.actual);
    expect(v.total.predicted).toBeCloseTo(reference.total.predicted, 3);
    expect(v.verdict).toBe(reference.verdict);
    expect(v.buckets.map((row: any) => [row.bucket, row.customers, row.actual])).toEqual(
      reference.rows.map((row: any) => [row.bucket, row.customers, row.actual]),
    );
    v.buckets.forEach((row: any, i: number) => {
      expect(row.predicted).toBeCloseTo(reference.rows[i].predicted, 3);
    });

    // The deciles partition the same customers and add up to the same totals.
    const customers = v.groups.reduce((sum: number, g: any) => sum + g.customers, 0);
    expect(customers).toBe(v.customers);
    const sum = (key: string) => v.groups.reduce((acc: number, g: any) => acc + g[key] * g.customers, 0);
    expect(sum('meanActual')).toBeCloseTo(v.total.actual, 6);
    expect(sum('meanPredicted')).toBeCloseTo(v.total.predicted, 6);
    for (let i = 1; i < v.groups.length; i++)
      expect(v.groups[i].minPredicted).toBeGreaterThanOrEqual(v.groups[i - 1].maxPredicted);
    // Per-customer error is at least the error of the total, spread over the customers.
    expect(v.errors.meanAbsoluteError).toBeGreaterThanOrEqual(
      Math.abs(v.total.predicted - v.total.actual) / v.customers - 1e-9,
    );
    expect(v.errors.rootMeanSquaredError).toBeGreaterThanOrEqual(v.errors.meanAbsoluteError - 1e-9);
    expect(v.errors.correlation).toBeGreaterThan(0);
  });

  it('after a restart the three answer from the stored scores and report, without a new refresh', async () => {
    const before = {
      distribution: (await admin('/api/value/distribution?metric=clv')).body,
      scatter: (await admin('/api/value/scatter?limit=50')).body,
      validation: (await admin('/api/value/validation')).body,
      ranking: (await admin('/api/value/ranking?order=top&limit=10')).body,
    };
    expect(before.ranking.items).toHaveLength(10);
    await t.server.close();
    const server = await createServer(
      loadConfig({ port: 0, dataDir: t.dataDir, logLevel: 'silent' }, {}),
      {},
    );
    t.server = server;
    t.url = await server.listen();
    // The server recomputes the last refresh by itself, as of its stored moment, so the same
    // numbers come back. "The same" up to float rounding: DuckDB sums in parallel, so the fit's
    // inputs can differ in their last bits from one run to the next.
    expectSameNumbers((await admin('/api/value/distribution?metric=clv')).body, before.distribution);
    expectSameNumbers((await admin('/api/value/scatter?limit=50')).body, before.scatter);
    expectSameNumbers((await admin('/api/value/validation')).body, before.validation);
    // The ranking needs the whole result: 503 with Retry-After while the recompute runs.
    let ranking = await admin('/api/value/ranking?order=top&limit=10');
    while (ranking.status === 503) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ranking = await admin('/api/value/ranking?order=top&limit=10');
    }
    expect(ranking.status).toBe(200);
    expectSameNumbers(ranking.body, before.ranking);
  }, 60_000);

  // From here on the restarted server's own refresh has finished (the ranking answered).
  it('answers from what the last refresh stored: a score changed in the store since shows after the next refresh', async () => {
    const before = {
      distribution: (await admin('/api/value/distribution?metric=clv&bins=12')).body,
      scatter: (await admin('/api/value/scatter')).body,
    };
    expect(before.scatter.points.length).toBeGreaterThan(50);
    const changed = before.scatter.points[10].profileId as string;
    const now = new Date().toISOString();
    await t.server.state.setComputedProperties([
      { profileId: changed, name: 'clv', value: 1e12, computedAt: now },
      { profileId: changed, name: 'p_alive', value: 0.123, computedAt: now },
    ]);
    // Counted now, the store would say max 1e12; the routes still answer the refresh's figures.
    expect((await admin('/api/value/distribution?metric=clv&bins=12')).body).toEqual(before.distribution);
    expect((await admin('/api/value/scatter')).body).toEqual(before.scatter);
    for (const bins of [1, 7, 100]) {
      const { body } = await admin(`/api/value/distribution?metric=clv&bins=${bins}`);
      expect(body.max).toBe(before.distribution.max);
      expect(body.bins.reduce((sum: number, bin: { count: number }) => sum + bin.count, 0)).toBe(
        before.distribution.count,
      );
    }

    const refresh = await fetch(`${t.url}/api/value/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(refresh.status).toBe(200);
    const { computedAt } = (await refresh.json()) as { computedAt: string };
    const after = {
      distribution: (await admin('/api/value/distribution?metric=clv&bins=12')).body,
      scatter: (await admin('/api/value/scatter')).body,
    };
    expect(after.distribution.computedAt).toBe(computedAt);
    expect(after.distribution.max).toBeLessThan(1e12);
    expect(after.scatter.computedAt).toBe(computedAt);
    // The refresh rewrote the changed profile's scores, and the new sample carries them.
    const point = after.scatter.points.find((p: { profileId: string }) => p.profileId === changed);
    const profile = (await admin(`/api/profiles/${encodeURIComponent(changed)}`)).body;
    expect(point).toEqual({
      profileId: changed,
      clv: profile.computedProperties.clv.value,
      pAlive: profile.computedProperties.p_alive.value,
    });
  }, 60_000);

  it('erasing a person removes their point from every stored scatter sample at once', async () => {
    const dashboard = (await admin('/api/value/scatter')).body;
    // Another limit: sampled on its first request, then kept until the next refresh.
    const small = (await admin('/api/value/scatter?limit=40')).body;
    expect((await admin('/api/value/scatter?limit=40')).body).toEqual(small);
    const gone = small.points[1].profileId as string;
    expect(dashboard.points.some((p: { profileId: string }) => p.profileId === gone)).toBe(true);

    const erase = await fetch(`${t.url}/api/profiles/${encodeURIComponent(gone)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(erase.status).toBe(202);
    await t.server.erasure.settled(((await erase.json()) as { id: string }).id);

    for (const [path, stored] of [
      ['/api/value/scatter', dashboard],
      ['/api/value/scatter?limit=40', small],
    ] as const) {
      const { body } = await admin(path);
      const kept = stored.points.filter((p: { profileId: string }) => p.profileId !== gone);
      expect(body.points, path).toEqual(kept);
      expect(body.sampled, path).toBe(stored.sampled - 1);
    }
    // Not only hidden: the stored samples no longer hold the person's point.
    for (const limit of [1000, 40]) {
      const points = await t.server.state.loadReportPoints(`value.scatter.${limit}`);
      expect(points.length).toBeGreaterThan(0);
      expect(points.some((p) => p.profileId === gone)).toBe(false);
    }
  }, 60_000);
});
