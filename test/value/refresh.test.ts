// End to end: a simulated store world sent to a real server, then `POST /api/value/refresh`:
// every profile gets finite scores and an explanation, the people planted as high spenders
// and advocates rank high, and the ranking, renewals and budget routes answer.
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PersonTruth } from '../../src/simulate/index.ts';
import { simulateWorld } from '../../src/simulate/index.ts';
import { COMPUTED_PROPERTY_NAMES, registerValueCommands } from '../../src/value/index.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const DAY = 86_400_000;
const PEOPLE = 400;
const DAYS = 365;

let t: TestServer;
let truths: PersonTruth[];

async function post(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminToken}` },
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  t = await startTestServer();
  const start = new Date(Math.floor((Date.now() - DAYS * DAY) / DAY) * DAY);
  const world = simulateWorld({ kind: 'store', seed: 21, people: PEOPLE, start, days: DAYS });
  let batch: unknown[] = [];
  for (const message of world.messages()) {
    batch.push(message);
    if (batch.length === 500) {
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      batch = [];
    }
  }
  if (batch.length > 0) expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  truths = [...world.truth()];
  await t.settle();
}, 300_000);

afterAll(async () => t?.close());

describe('value refresh end to end', () => {
  it('answers 404 with the way out before the first refresh, and 401 without a token', async () => {
    const before = await t.admin('/api/value/ranking');
    expect(before.status).toBe(404);
    expect(before.body.message).toMatch(/rapport value refresh/);
    const anonymous = await fetch(`${t.url}/api/value/refresh`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });

  it('scores every profile with finite numbers and an explanation; planted high-value people rank high', async () => {
    const refresh = await post('/api/value/refresh');
    expect(refresh.status).toBe(200);
    const summary = refresh.body;
    expect(summary.customers).toBeGreaterThan(PEOPLE / 2);
    expect(summary.buyers).toBeGreaterThan(50);
    expect(summary.clv.params.r).toBeGreaterThan(0);
    expect(summary.churn.examples).toBeGreaterThan(0);

    const ranking = await t.admin(`/api/value/ranking?limit=10000`);
    expect(ranking.status).toBe(200);
    const items = ranking.body.items as any[];
    expect(items).toHaveLength(summary.customers);
    expect(items.map((item) => item.rank)).toEqual(items.map((_, i) => i + 1));
    const bottom = await t.admin('/api/value/ranking?order=bottom&limit=3');
    expect(bottom.body.items.map((item: { profileId: string }) => item.profileId)).toEqual(
      items
        .slice(-3)
        .reverse()
        .map((item) => item.profileId),
    );
    for (const item of items) {
      expect(Number.isFinite(item.score)).toBe(true);
      expect(item.explanation).toMatch(/^ranked \d+(st|nd|rd|th) of [\d,]+/);
      if (item.clv !== null) expect(Number.isFinite(item.clv)).toBe(true);
      if (item.churnRisk !== null) expect(item.churnRisk).toBeGreaterThanOrEqual(0);
    }
    const rankOf = new Map<string, number>();
    for (const item of items) rankOf.set(item.profileId, item.rank);
    const profileOf = async (userId: string) =>
      (await t.admin(`/api/profiles/lookup?userId=${encodeURIComponent(userId)}`)).body?.profileId as string;

    // Planted: the top tenth by spend in the window, and everyone who referred someone.
    const identified = truths.filter((truth) => truth.userId !== null);
    const bySpend = [...identified].sort((left, right) => right.totalSpend - left.totalSpend);
    const bigSpenders = bySpend
      .slice(0, Math.ceil(identified.length / 10))
      .filter((truth) => truth.totalSpend > 0);
    const percentile = async (group: PersonTruth[]) => {
      let sum = 0;
      for (const truth of group) sum += rankOf.get(await profileOf(truth.userId!))! / items.length;
      return sum / group.length;
    };
    expect(bigSpenders.length).toBeGreaterThan(5);
    expect(await percentile(bigSpenders)).toBeLessThan(0.25);
    const advocates = identified.filter((truth) => truth.advocacy.referrals > 0);
    if (advocates.length > 0) expect(await percentile(advocates)).toBeLessThan(0.3);
    const nonBuyers = identified.filter((truth) => truth.purchases === 0);
    expect(await percentile(nonBuyers)).toBeGreaterThan(0.5);
  });

  it('writes the scores as computed properties on the profiles, never NaN', async () => {
    const ranking = await t.admin('/api/value/ranking?limit=50');
    const ids = (ranking.body.items as any[]).map((item) => item.profileId as string);
    const rows = await t.server.state.computedPropertiesOf(ids);
    const names = new Set(rows.map((row) => row.name));
    for (const name of ['clv', 'p_alive', 'value_score', 'value_rank', 'value_explanation', 'lead_score']) {
      expect(names.has(name), name).toBe(true);
    }
    // The lead score's breakdown (#11: "the profile shows how it is made up") adds up to it.
    const leads = rows.filter((row) => row.name === 'lead_explanation');
    expect(leads.length).toBe(ids.length);
    for (const lead of leads) {
      const score = rows.find((row) => row.profileId === lead.profileId && row.name === 'lead_score')!.value;
      const [, total, fit, behaviour] = /^([\d.]+) = fit ([\d.]+).* \+ behaviour ([\d.]+)/.exec(
        String(lead.value),
      )!;
      expect(Number(total)).toBe(score);
      expect(Number(fit) + Number(behaviour)).toBeCloseTo(Number(score), 0);
    }
    for (const row of rows) {
      expect(COMPUTED_PROPERTY_NAMES).toContain(row.name);
      if (typeof row.value === 'number') expect(Number.isFinite(row.value)).toBe(true);
      expect(Date.parse(row.computedAt)).toBeGreaterThan(0);
    }
  });

  it('gives the renewal calendar and the budget plan', async () => {
    const renewals = await t.admin('/api/value/renewals?months=3');
    expect(renewals.status).toBe(200);
    expect(renewals.body.months).toHaveLength(3);
    const subscribers = truths.filter(
      (truth) => truth.subscription && truth.subscription.cancelledAt === null,
    );
    if (subscribers.length > 0) expect(renewals.body.totalRevenue).toBeGreaterThan(0);

    const budget = await t.admin('/api/value/budget?amount=100&costPerCustomer=10');
    expect(budget.status).toBe(200);
    expect(budget.body.chosen.length).toBeLessThanOrEqual(10);
    expect(budget.body.spent).toBeLessThanOrEqual(100);
    const savable = (budget.body.chosen as any[]).map((choice) => choice.savable);
    expect(savable).toEqual([...savable].sort((a, b) => b - a));
    expect(budget.body.effectSource).toBe('prior');

    const bad = await t.admin('/api/value/budget?amount=100&costPerCustomer=0');
    expect(bad.status).toBe(400);
  });

  it('answers the rapport value commands, with the token in the header and --json for scripts', async () => {
    const run = async (...args: string[]) => {
      const program = new Command().exitOverride();
      registerValueCommands(program);
      const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        await program.parseAsync(['value', ...args, '--url', t.url, '--admin-token', t.adminToken], {
          from: 'user',
        });
        return write.mock.calls.map((call) => String(call[0])).join('');
      } finally {
        write.mockRestore();
      }
    };
    expect(await run('refresh')).toMatch(/^value scores computed at .* for \d+ customers/);
    const ranking = JSON.parse(await run('ranking', '--limit', '3', '--json'));
    expect(ranking.items.map((item: any) => item.rank)).toEqual([1, 2, 3]);
    expect(await run('ranking', '--limit', '2', '--bottom')).toMatch(/ranked [\d,]+(st|nd|rd|th) of/);
    expect(await run('renewals', '--months', '2')).toMatch(/^month +renewals/);
    expect(await run('budget', '--amount', '50', '--cost-per-customer', '10')).toMatch(
      /customers chosen of \d+/,
    );
  });
});
