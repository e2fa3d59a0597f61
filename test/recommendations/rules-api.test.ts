// GET /api/recommendations/rules on a simulated shop: the rules mined from the store's orders
// equal the rules mined from the Order Completed messages the shop sent (read here, outside the
// system), and per-person baskets recover the complementary products the simulator planted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mineRules } from '../../src/recommendations/index.ts';
import { ANCHOR_PRODUCTS, COMPLEMENT_PRODUCTS, simulateWorld } from '../../src/simulate/index.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const DAY = 86_400_000;
let t: TestServer;
/** order_id → product ids, from the messages sent. */
const sentOrders = new Map<string, Set<string>>();
const plantedAnchors = new Map<string, Set<string>>();

beforeAll(async () => {
  t = await startTestServer();
  const start = new Date(Math.floor((Date.now() - 365 * DAY) / DAY) * DAY);
  const world = simulateWorld({ kind: 'store', seed: 11, people: 400, start, days: 365 });
  let batch: unknown[] = [];
  for (const message of world.messages()) {
    if (message.type === 'track' && message.event === 'Order Completed') {
      const properties = message.properties as { order_id: string; products: { product_id: string }[] };
      const products = sentOrders.get(properties.order_id) ?? new Set();
      for (const line of properties.products) products.add(line.product_id);
      sentOrders.set(properties.order_id, products);
    }
    batch.push(message);
    if (batch.length === 500) {
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      batch = [];
    }
  }
  if (batch.length > 0) expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  for (const person of world.truth()) {
    for (const pair of person.complementaryPurchases) {
      const anchors = plantedAnchors.get(pair.complement) ?? new Set();
      plantedAnchors.set(pair.complement, anchors.add(pair.anchor));
    }
  }
  // A bad order: no products array. It is counted in the warnings, not mined.
  const bad = {
    type: 'track',
    userId: 'bad-order',
    event: 'Order Completed',
    properties: { order_id: 'x1' },
  };
  expect((await track(t, '/v1/batch', { batch: [bad] })).status).toBe(200);
  await t.settle();
}, 300_000);

afterAll(async () => t?.close());

describe('GET /api/recommendations/rules', () => {
  it('mines one basket per order: the same rules as the orders the shop sent', async () => {
    const answer = await t.admin('/api/recommendations/rules?minSupport=0.01&minConfidence=0.05');
    expect(answer.status).toBe(200);
    const expected = mineRules(
      [...sentOrders.values()].map((products) => [...products]),
      { minSupport: 0.01, minConfidence: 0.05 },
    );
    expect(expected.count).toBeGreaterThan(0);
    expect(answer.body).toMatchObject({
      baskets: sentOrders.size,
      items: expected.items,
      count: expected.count,
      basket: 'order',
      orders: sentOrders.size + 1,
      warnings: ['1 Order Completed event(s) without products[].product_id left out'],
    });
    expect(answer.body.rules).toEqual(expected.rules);
  });

  it('per person, recovers the planted complements: anchor and complement point to each other', async () => {
    const answer = await t.admin(
      '/api/recommendations/rules?minSupport=0.005&minConfidence=0.05&basket=person&maxLength=2',
    );
    expect(answer.status).toBe(200);
    type Pair = { lhs: string[]; rhs: string[]; lift: number; llr: number };
    const anchors = new Set(ANCHOR_PRODUCTS.map((product) => product.id));
    const complements = new Set(COMPLEMENT_PRODUCTS.map((product) => product.id));
    const strongest = (from: string, to: Set<string>): Pair | undefined =>
      (answer.body.rules as Pair[]).find((rule) => rule.lhs[0] === from && to.has(rule.rhs[0]!));
    let checked = 0;
    for (const [complement, planted] of plantedAnchors) {
      // Among anchors, the one a complement's buyers most over-own is one it was planted with.
      const rule = strongest(complement, anchors);
      expect(rule, complement).toBeDefined();
      expect(planted.has(rule!.rhs[0]!), `${complement} => ${rule!.rhs[0]}`).toBe(true);
      expect(rule!.lift).toBeGreaterThan(2);
      expect(rule!.llr).toBeGreaterThan(10);
      checked++;
    }
    for (const anchor of anchors) {
      // And among complements, an anchor's buyers most over-own one planted for it.
      const rule = strongest(anchor, complements);
      if (!rule) continue;
      expect(plantedAnchors.get(rule.rhs[0]!)?.has(anchor), `${anchor} => ${rule.rhs[0]}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('refuses bad parameters with the field named, and callers without the admin token', async () => {
    const bad = await t.admin('/api/recommendations/rules?minSupport=0&minConfidence=0.5');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/minSupport/);
    const missing = await t.admin('/api/recommendations/rules?minConfidence=0.5');
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/minSupport/);
    expect(
      (
        await t.adminRequest(
          'GET',
          '/api/recommendations/rules?minSupport=0.1&minConfidence=0.5',
          undefined,
          null,
        )
      ).status,
    ).toBe(401);
  });
});
