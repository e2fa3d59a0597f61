// What the recommendations API does, apart from HTTP: mine the store's orders into rules.
import type { EventReader } from '../pipeline/index.ts';
import type { StateStore } from '../store/index.ts';
import { mergeResolver } from '../value/index.ts';
import { mineRules } from './mine.ts';
import { type BasketKind, basketsOf, describeOrderIssues, readOrders } from './orders.ts';
import type { RulesQuery, RulesReport } from './schemas.ts';

export interface RecommendationDeps {
  events: Pick<EventReader, 'query'>;
  state: Pick<StateStore, 'mergesOf'>;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

/** The store's orders as baskets, folded onto the profiles that live on after merges. */
export async function storeBaskets(deps: RecommendationDeps, kind: BasketKind, since?: number) {
  const read = await readOrders(deps.events, since);
  const resolve = await mergeResolver(deps.state, [...new Set(read.orders.map((order) => order.profileId))]);
  return { ...basketsOf(read.orders, kind, resolve), read };
}

export async function storeRules(deps: RecommendationDeps, query: RulesQuery): Promise<RulesReport> {
  const now = (deps.now ?? (() => new Date()))();
  const basket = query.basket ?? 'order';
  const since = query.days === undefined ? undefined : now.getTime() - query.days * DAY_MS;
  const { baskets, read } = await storeBaskets(deps, basket, since);
  const result = mineRules(
    [...baskets.values()].map((items) => [...items]),
    query,
  );
  return {
    ...result,
    rules: query.limit === undefined ? result.rules : result.rules.slice(0, query.limit),
    warnings: describeOrderIssues(read.issues),
    orders: read.read,
    basket,
    computedAt: now.toISOString(),
  };
}
