// Next best products on a simulated shop, through a real server: the refresh writes each
// buyer's `recommendations` trait (never something they own or an excluded product, none for
// the holdout or without personalization consent), one `Experiment Viewed` exposure per person,
// `Recommendation Due` events for "bought X N days ago, Y not bought", and the last refresh time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateVariables as journeyTemplateVariables, renderTemplate } from '../../src/conductor/index.ts';
import { templateVariables } from '../../src/conductor/runtime/outbox.ts';
import { inHoldout } from '../../src/recommendations/index.ts';
import { COMPLEMENT_PRODUCTS, simulateWorld } from '../../src/simulate/index.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const DAY = 86_400_000;
let t: TestServer;
/** userId → products bought (first purchase time), from the messages sent. */
const bought = new Map<string, Map<string, number>>();
let deniedUser = '';

async function profileOf(userId: string) {
  const search = await t.admin(`/api/profiles?q=${encodeURIComponent(userId)}&limit=5`);
  const id = search.body.items.find((item: { profileId: string }) => item)?.profileId;
  return (await t.admin(`/api/profiles/${encodeURIComponent(id)}`)).body;
}

async function events(sql: string): Promise<Record<string, unknown>[]> {
  return t.server.pipeline.query(sql);
}

beforeAll(async () => {
  t = await startTestServer();
  const start = new Date(Math.floor((Date.now() - 365 * DAY) / DAY) * DAY);
  const world = simulateWorld({ kind: 'store', seed: 11, people: 400, start, days: 365 });
  let batch: unknown[] = [];
  for (const message of world.messages()) {
    if (message.type === 'track' && message.event === 'Order Completed' && message.userId) {
      const products = bought.get(message.userId) ?? new Map<string, number>();
      bought.set(message.userId, products);
      for (const line of (message.properties as { products: { product_id: string }[] }).products) {
        if (!products.has(line.product_id)) products.set(line.product_id, Date.parse(message.timestamp));
      }
    }
    batch.push(message);
    if (batch.length === 500) {
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      batch = [];
    }
  }
  if (batch.length > 0) expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  // One buyer of a printer refuses personalization.
  deniedUser = [...bought].find(([, products]) => products.has('printer-inkjet'))![0];
  const consent = {
    type: 'track',
    userId: deniedUser,
    event: 'Segment Consent Preference Updated',
    context: { consent: { categoryPreferences: { personalization: false } } },
  };
  expect((await track(t, '/v1/batch', { batch: [consent] })).status).toBe(200);
  await t.settle();
}, 300_000);

afterAll(async () => t?.close());

describe('next best products', () => {
  it('shows no refresh before the first, and refuses bad settings naming the field', async () => {
    const status = await t.admin('/api/recommendations/status');
    expect(status.status).toBe(200);
    expect(status.body.last).toBeNull();
    expect(status.body.settings).toMatchObject({ basket: 'person', limit: 3, holdoutShare: 0.1 });
    const bad = await t.adminRequest('PUT', '/api/recommendations/settings', {
      ...status.body.settings,
      limit: 0,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/limit/);
  });

  it('a refresh writes the traits, within exclusions, consent and the holdout', async () => {
    const settings = (await t.admin('/api/recommendations/settings')).body;
    const saved = await t.adminRequest('PUT', '/api/recommendations/settings', {
      ...settings,
      exclude: ['desk-lamp'],
      holdoutShare: 0.2,
      minSupport: 0.01,
      minConfidence: 0.05,
    });
    expect(saved.status).toBe(200);
    const refresh = await t.adminRequest('POST', '/api/recommendations/refresh');
    expect(refresh.status).toBe(200);
    const summary = refresh.body;
    expect(summary.rules).toBeGreaterThan(0);
    expect(summary.withRecommendations).toBeGreaterThan(20);
    expect(summary.holdout).toBeGreaterThan(0);
    expect(summary.withoutConsent).toBe(1);
    await t.settle();
    const status = await t.admin('/api/recommendations/status');
    expect(status.body.last.computedAt).toBe(summary.computedAt);

    const complements = new Set(COMPLEMENT_PRODUCTS.map((product) => product.id));
    let withList = 0;
    let printerToSupplies = 0;
    for (const [userId, products] of [...bought].slice(0, 120)) {
      const profile = await profileOf(userId);
      const list = profile.traits.recommendations ?? [];
      for (const product of list) {
        expect(products.has(product), `${userId} owns ${product}`).toBe(false);
        expect(product).not.toBe('desk-lamp');
      }
      if (userId === deniedUser || inHoldout(profile.profileId, 0.2)) expect(list).toEqual([]);
      if (list.length > 0) {
        withList++;
        expect(profile.traits.next_best_product).toBe(list[0]);
      }
      // A printer buyer without ink is offered printer supplies first.
      if (list.length > 0 && products.has('printer-inkjet') && !products.has('ink-black')) {
        expect(complements.has(list[0])).toBe(true);
        printerToSupplies++;
      }
    }
    expect(withList).toBeGreaterThan(10);
    expect(printerToSupplies).toBeGreaterThan(0);
  });

  it('records one Experiment Viewed exposure per person shown or held out', async () => {
    const summary = (await t.admin('/api/recommendations/status')).body.last;
    const rows = await events(
      `SELECT properties->>'variation_id' AS variation, count(*) AS n, count(DISTINCT profile_id) AS people
       FROM events WHERE name = 'Experiment Viewed' AND (properties->>'experiment_id') = 'recommendations'
       GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.map((row) => [row.variation, Number(row.n), Number(row.people)])).toEqual([
      ['holdout', summary.holdout, summary.holdout],
      ['recommendations', summary.withRecommendations, summary.withRecommendations],
    ]);
    // A second refresh exposes nobody twice.
    await t.adminRequest('POST', '/api/recommendations/refresh');
    await t.settle();
    const [again] = await events(`SELECT count(*) AS n FROM events WHERE name = 'Experiment Viewed'`);
    expect(Number(again!.n)).toBe(summary.holdout + summary.withRecommendations);
  });

  it('writes Recommendation Due for a product bought N days ago and a suggestion not bought', async () => {
    const rows = await events(
      `SELECT user_id, properties->>'product' AS product, properties->>'because' AS because,
              properties->>'bought_at' AS bought_at, timestamp
       FROM events WHERE name = 'Recommendation Due'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const products = bought.get(String(row.user_id))!;
      expect(products.has(String(row.because))).toBe(true);
      expect(products.has(String(row.product))).toBe(false);
      expect(Date.parse(String(row.timestamp)) - Date.parse(String(row.bought_at))).toBeGreaterThanOrEqual(
        14 * DAY,
      );
    }
    const distinct = new Set(rows.map((row) => `${row.user_id}|${row.because}|${row.product}`));
    expect(distinct.size).toBe(rows.length);
  });

  it('templates read {{ recommendations | first }}', () => {
    const definition = {
      format: 1,
      id: 'ink',
      version: 1,
      name: 'ink',
      entry: { kind: 'event', event: 'Recommendation Due' },
      reentry: { mode: 'once' },
      start: 'done',
      steps: [{ id: 'done', type: 'exit' }],
    } as never;
    expect(journeyTemplateVariables(definition, {}, false).roots.recommendations).toBe('any');
    const variables = templateVariables(
      { profileId: 'p', traits: { recommendations: ['ink-black', 'paper-a4'] } } as never,
      { action: { type: 'send' } } as never,
    );
    expect(renderTemplate('Ink: {{ recommendations | first }}', variables)).toBe('Ink: ink-black');
  });
});
