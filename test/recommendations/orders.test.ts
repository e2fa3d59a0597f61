// The orders query on both event stores: the same events give the same baskets on DuckDB and
// PostgreSQL (skipped with the reason when no PostgreSQL is available).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { basketsOf, readOrders } from '../../src/recommendations/index.ts';
import { DuckDbEventStore } from '../../src/store/duckdb/events.ts';
import { PostgresEventStore } from '../../src/store/postgres/index.ts';
import { quoteIdent } from '../../src/store/postgres/sql.ts';
import type { EventStore, StoredEvent } from '../../src/store/types.ts';

const T0 = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;
let seq = 0;

function order(
  profileId: string,
  day: number,
  properties: Record<string, unknown>,
  name = 'Order Completed',
): StoredEvent {
  seq += 1;
  const timestamp = new Date(T0 + day * DAY).toISOString();
  return {
    seq,
    messageId: `m${seq}`,
    profileId,
    type: 'track',
    name,
    userId: profileId,
    anonymousId: null,
    timestamp,
    receivedAt: timestamp,
    properties,
    message: { type: 'track', event: name, properties, timestamp },
  };
}

const lines = (...ids: unknown[]) => ids.map((id) => ({ product_id: id, price: 1 }));
const EVENTS: StoredEvent[] = [
  order('a', 0, { order_id: 'o1', products: lines('printer', 'paper', 'printer') }),
  // the same order sent again under another message: one basket
  order('a', 0, { order_id: 'o1', products: lines('cable') }),
  order('a', 30, { order_id: 'o2', products: lines('ink') }),
  order('b', 10, { order_id: 'o3', products: lines('printer', 7) }),
  order('b', 11, { products: lines('mug') }), // no order_id: the message is the order
  order('c', 12, { order_id: 'o5' }), // no products
  order('c', 13, { order_id: 'o6', products: [{ sku: 'X' }, { product_id: '' }] }), // no usable id
  order('c', 14, { order_id: 'o7', products: lines('ink') }, 'Product Viewed'), // not an order
];

interface Engine {
  name: string;
  skip: string;
  open(): Promise<{ store: EventStore; close(): Promise<void> }>;
}

const postgresUrl = inject('postgresUrl');
const ENGINES: Engine[] = [
  {
    name: 'duckdb',
    skip: '',
    async open() {
      const store = await DuckDbEventStore.open(':memory:');
      return { store, close: () => store.close() };
    },
  },
  {
    name: 'postgres',
    skip: postgresUrl ? '' : inject('postgresSkipReason'),
    async open() {
      const schema = `rec_${randomBytes(6).toString('hex')}`;
      const store = await PostgresEventStore.open(postgresUrl, { schema });
      return {
        store,
        async close() {
          await store.close();
          const client = new pg.Client({ connectionString: postgresUrl });
          await client.connect();
          await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
          await client.end();
        },
      };
    },
  },
];

const sorted = (map: Map<string, Set<string>>) =>
  Object.fromEntries([...map].map(([key, items]) => [key, [...items].sort()]));

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== '')(`store orders on ${engine.name} ${engine.skip}`, () => {
    let opened: Awaited<ReturnType<Engine['open']>>;
    beforeAll(async () => {
      opened = await engine.open();
      await opened.store.appendWithOffset('warehouse', EVENTS, EVENTS.length);
    });
    afterAll(async () => opened?.close());

    it('reads every order’s product ids, counting what it leaves out', async () => {
      const read = await readOrders(opened.store);
      expect(read.read).toBe(7);
      expect(read.issues).toEqual({ ordersWithoutProducts: 2, linesWithoutProductId: 2 });
      const byOrder = basketsOf(read.orders, 'order');
      expect(sorted(byOrder.baskets)).toEqual({
        o1: ['cable', 'paper', 'printer'],
        o2: ['ink'],
        o3: ['7', 'printer'],
        m5: ['mug'],
      });
      expect(sorted(basketsOf(read.orders, 'person').baskets)).toEqual({
        a: ['cable', 'ink', 'paper', 'printer'],
        b: ['7', 'mug', 'printer'],
      });
    });

    it('folds merged profiles and keeps a window', async () => {
      const read = await readOrders(opened.store, T0 + 10 * DAY);
      const merged = basketsOf(read.orders, 'person', (id) => (id === 'b' ? 'a' : id));
      expect(sorted(merged.baskets)).toEqual({ a: ['7', 'ink', 'mug', 'printer'] });
      expect(sorted(merged.owned)).toEqual({ a: ['7', 'ink', 'mug', 'printer'] });
    });
  });
}
