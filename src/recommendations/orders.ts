// Baskets from the store's own orders: `Order Completed` events in the event store (Segment's
// e-commerce spec: `products[].product_id`). One SQL text for DuckDB and PostgreSQL (a JSON
// member cast to text works on both); the products arrays are parsed here. An order sent twice
// (two messages, one `order_id`) is one basket; per person, every order of a profile is one
// basket, folded onto the surviving profile of a merge.
import type { EventReader } from '../store/index.ts';

export const ORDER_EVENT = 'Order Completed';

export type BasketKind = 'order' | 'person';

export interface OrderBasketIssues {
  /** Orders without a `products` array, or whose lines carry no product id. */
  ordersWithoutProducts: number;
  /** Product lines without a string or number `product_id` (left out). */
  linesWithoutProductId: number;
}

export interface Order {
  profileId: string;
  /** The order's identifiers, to address a message to the person later. */
  userId: string | null;
  anonymousId: string | null;
  /** Epoch seconds. */
  at: number;
  orderKey: string;
  products: string[];
}

export interface Orders {
  orders: Order[];
  /** Order Completed events read (with or without products). */
  read: number;
  issues: OrderBasketIssues;
}

export function orderQuery(since: number | undefined): { sql: string; params: unknown[] } {
  const params: unknown[] = [ORDER_EVENT];
  let window = '';
  if (since !== undefined) {
    params.push(since / 1000);
    window = ' AND extract(epoch FROM timestamp) >= $2';
  }
  return {
    sql: `SELECT profile_id, user_id, anonymous_id, extract(epoch FROM timestamp) AS at,
            coalesce(properties->>'order_id', message_id) AS order_key,
            CAST(properties->'products' AS VARCHAR) AS products
          FROM events WHERE type = 'track' AND name = $1${window} ORDER BY seq`,
    params,
  };
}

/** Product ids of one order's `products` JSON text; counts lines it cannot use. */
export function productIds(text: unknown, issues: OrderBasketIssues): string[] {
  let lines: unknown;
  try {
    lines = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    lines = undefined;
  }
  const ids: string[] = [];
  if (Array.isArray(lines)) {
    for (const line of lines) {
      const id = (line as { product_id?: unknown } | null)?.product_id;
      if (typeof id === 'string' && id !== '') ids.push(id);
      else if (typeof id === 'number') ids.push(String(id));
      else issues.linesWithoutProductId++;
    }
  }
  if (ids.length === 0) issues.ordersWithoutProducts++;
  return ids;
}

function addAll(map: Map<string, Set<string>>, key: string, items: string[]): void {
  const set = map.get(key) ?? new Set<string>();
  map.set(key, set);
  for (const item of items) set.add(item);
}

/** The orders with at least one product id, in log order; `since` in epoch ms. */
export async function readOrders(reader: Pick<EventReader, 'query'>, since?: number): Promise<Orders> {
  const { sql, params } = orderQuery(since);
  const rows = await reader.query(sql, params);
  const issues: OrderBasketIssues = { ordersWithoutProducts: 0, linesWithoutProductId: 0 };
  const orders: Order[] = [];
  for (const row of rows) {
    const products = productIds(row.products, issues);
    if (products.length > 0) {
      orders.push({
        profileId: String(row.profile_id),
        userId: row.user_id === null ? null : String(row.user_id),
        anonymousId: row.anonymous_id === null ? null : String(row.anonymous_id),
        at: Number(row.at),
        orderKey: String(row.order_key),
        products,
      });
    }
  }
  return { orders, read: rows.length, issues };
}

/**
 * Baskets by order (an order sent twice is one basket) or by person, and what each person owns,
 * with stored profile ids mapped through `resolve` (merges).
 */
export function basketsOf(
  orders: readonly Order[],
  kind: BasketKind,
  resolve: (profileId: string) => string = (id) => id,
): { baskets: Map<string, Set<string>>; owned: Map<string, Set<string>> } {
  const baskets = new Map<string, Set<string>>();
  const owned = new Map<string, Set<string>>();
  for (const order of orders) {
    const profileId = resolve(order.profileId);
    addAll(owned, profileId, order.products);
    addAll(baskets, kind === 'person' ? profileId : order.orderKey, order.products);
  }
  return { baskets, owned };
}

export function describeOrderIssues(issues: OrderBasketIssues): string[] {
  const warnings: string[] = [];
  if (issues.ordersWithoutProducts > 0) {
    warnings.push(
      `${issues.ordersWithoutProducts} ${ORDER_EVENT} event(s) without products[].product_id left out`,
    );
  }
  if (issues.linesWithoutProductId > 0) {
    warnings.push(`${issues.linesWithoutProductId} product line(s) without a product_id left out`);
  }
  return warnings;
}
