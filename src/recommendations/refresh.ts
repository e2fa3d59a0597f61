// `refreshRecommendations`: the scheduled step that turns the store's orders into each buyer's
// next best products, as numbered steps:
//  1. read the orders of the window, folded onto merged profiles, as baskets
//  2. mine pair rules ({x} => {y}), with the minimum support and count
//  3. per buyer: next best products, none for those who refused personalization, none for the
//     holdout (a fixed share of people by a hash of their id, so they stay held out)
//  4. write what changed into the log as an identify (traits `recommendations`,
//     `next_best_product`), an `Experiment Viewed` exposure once per person (treatment or
//     holdout), and a `Recommendation Due` event when X was bought N days ago and Y is not
// Everything goes through the log, like every other change to a person: message ids derive from
// what happened, so a refresh replayed after a crash adds nothing twice.
import { createHash } from 'node:crypto';
import type { EventReader, LogEntry, StateStore } from '../store/index.ts';
import { mergeResolver } from '../value/index.ts';
import { mineRules } from './mine.ts';
import { nextBest, pairRulesByItem, type Suggestion } from './next-best.ts';
import { basketsOf, describeOrderIssues, type Order, readOrders } from './orders.ts';
import type { RecommendationSettings, RefreshSummary } from './schemas.ts';

export const RECOMMENDATIONS_SOURCE = 'rapport:recommendations';
export const EXPERIMENT_ID = 'recommendations';
export const DUE_EVENT = 'Recommendation Due';
const DAY_MS = 86_400_000;
const CHUNK = 1000;

export interface RefreshDeps {
  events: Pick<EventReader, 'query'>;
  state: Pick<StateStore, 'mergesOf' | 'profilesByConsent' | 'getProfile'>;
  append: (entries: LogEntry[]) => Promise<unknown>;
  now?: () => Date;
}

interface Buyer {
  identity: { userId: string } | { anonymousId: string };
  /** Product → epoch ms of its first purchase in the window. */
  firstBought: Map<string, number>;
}

/** Whether a person is in the holdout: a stable hash of their id against the share. */
export function inHoldout(profileId: string, share: number): boolean {
  const hash = createHash('sha256').update(`${EXPERIMENT_ID}:${profileId}`).digest();
  return hash.readUInt32BE(0) / 2 ** 32 < share;
}

function buyersOf(orders: readonly Order[], resolve: (id: string) => string): Map<string, Buyer> {
  const buyers = new Map<string, Buyer>();
  for (const order of orders) {
    const profileId = resolve(order.profileId);
    const buyer = buyers.get(profileId) ?? { identity: { anonymousId: '' }, firstBought: new Map() };
    buyers.set(profileId, buyer);
    // A userId addresses the person on every device; the latest order's ids win otherwise.
    if (order.userId) buyer.identity = { userId: order.userId };
    else if (order.anonymousId && !('userId' in buyer.identity))
      buyer.identity = { anonymousId: order.anonymousId };
    for (const product of order.products) {
      const at = order.at * 1000;
      if (!(at >= (buyer.firstBought.get(product) ?? Number.POSITIVE_INFINITY)))
        buyer.firstBought.set(product, at);
    }
  }
  return buyers;
}

function entry(profileId: string, buyer: Buyer, message: Record<string, unknown>, now: string): LogEntry {
  const full = {
    ...message,
    timestamp: now,
    receivedAt: now,
    ...buyer.identity,
    context: { rapport: { profileId, internal: true } },
  };
  return {
    messageId: String(message.messageId),
    source: RECOMMENDATIONS_SOURCE,
    receivedAt: now,
    json: JSON.stringify(full),
  };
}

function exposure(profileId: string, buyer: Buyer, holdout: boolean, now: string): LogEntry {
  // Segment's Experiment Viewed (A/B testing spec); the experiments layer reads the same event.
  return entry(
    profileId,
    buyer,
    {
      type: 'track',
      messageId: `recommendations-exposure:${profileId}`,
      event: 'Experiment Viewed',
      properties: {
        experiment_id: EXPERIMENT_ID,
        experiment_name: 'Next best products',
        variation_id: holdout ? 'holdout' : 'recommendations',
        variation_name: holdout ? 'Held out: no recommendations' : 'Recommendations shown',
      },
    },
    now,
  );
}

function traitsEntry(profileId: string, buyer: Buyer, list: Suggestion[], now: string): LogEntry {
  const products = list.map((suggestion) => suggestion.product);
  return entry(
    profileId,
    buyer,
    {
      type: 'identify',
      messageId: `recommendations:${now}:${profileId}`,
      traits: { recommendations: products, next_best_product: products[0] ?? null },
    },
    now,
  );
}

function dueEntries(
  profileId: string,
  buyer: Buyer,
  list: Suggestion[],
  afterDays: number,
  now: Date,
): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const suggestion of list) {
    const boughtAt = buyer.firstBought.get(suggestion.because);
    if (boughtAt === undefined || now.getTime() - boughtAt < afterDays * DAY_MS) continue;
    entries.push(
      entry(
        profileId,
        buyer,
        {
          type: 'track',
          messageId: `recommendation-due:${profileId}:${suggestion.because}:${suggestion.product}`,
          event: DUE_EVENT,
          properties: {
            product: suggestion.product,
            because: suggestion.because,
            days: afterDays,
            bought_at: new Date(boughtAt).toISOString(),
            lift: suggestion.lift,
            confidence: suggestion.confidence,
          },
        },
        now.toISOString(),
      ),
    );
  }
  return entries;
}

function sameList(current: unknown, list: Suggestion[]): boolean {
  return JSON.stringify(current ?? []) === JSON.stringify(list.map((suggestion) => suggestion.product));
}

export async function refreshRecommendations(
  deps: RefreshDeps,
  settings: RecommendationSettings,
): Promise<RefreshSummary> {
  const now = (deps.now ?? (() => new Date()))();
  const nowIso = now.toISOString();
  // 1. Orders of the window as baskets.
  const read = await readOrders(deps.events, now.getTime() - settings.days * DAY_MS);
  const resolve = await mergeResolver(deps.state, [...new Set(read.orders.map((order) => order.profileId))]);
  const { baskets } = basketsOf(read.orders, settings.basket, resolve);
  const buyers = buyersOf(read.orders, resolve);
  // 2. Pair rules.
  const n = baskets.size;
  const mined = mineRules(
    [...baskets.values()].map((items) => [...items]),
    {
      minSupport: Math.min(1, Math.max(settings.minSupport, n > 0 ? settings.minCount / n : 1)),
      minConfidence: settings.minConfidence,
      minLength: 2,
      maxLength: 2,
    },
  );
  const byItem = pairRulesByItem(mined.rules, settings.minLlr);
  const exclude = new Set(settings.exclude);
  const denied = new Set(await deps.state.profilesByConsent('personalization', 'denied'));
  // 3-4. Per buyer, then into the log.
  const counts = { withRecommendations: 0, holdout: 0, withoutConsent: 0, changed: 0, due: 0 };
  let pending: LogEntry[] = [];
  const flush = async (force = false) => {
    if (pending.length === 0 || (!force && pending.length < CHUNK)) return;
    await deps.append(pending);
    pending = [];
  };
  for (const [profileId, buyer] of buyers) {
    const suggested = nextBest(new Set(buyer.firstBought.keys()), byItem, { limit: settings.limit, exclude });
    const holdout = inHoldout(profileId, settings.holdoutShare);
    let list = suggested;
    if (denied.has(profileId)) {
      counts.withoutConsent++;
      list = [];
    } else if (suggested.length > 0) {
      pending.push(exposure(profileId, buyer, holdout, nowIso));
      if (holdout) {
        counts.holdout++;
        list = [];
      } else {
        counts.withRecommendations++;
        const due = dueEntries(profileId, buyer, list, settings.triggerAfterDays, now);
        counts.due += due.length;
        pending.push(...due);
      }
    }
    const current = (await deps.state.getProfile(profileId))?.traits.recommendations?.value;
    if (!sameList(current, list) && !(list.length === 0 && current === undefined)) {
      pending.push(traitsEntry(profileId, buyer, list, nowIso));
      counts.changed++;
    }
    await flush();
  }
  await flush(true);
  return {
    computedAt: nowIso,
    baskets: n,
    items: mined.items,
    rules: mined.count,
    topRules: mined.rules.slice(0, 50),
    people: buyers.size,
    ...counts,
    warnings: describeOrderIssues(read.issues),
    settings,
  };
}
