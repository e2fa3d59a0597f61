// What the recommendations API does, apart from HTTP: mine the store's orders into rules on
// demand, keep the settings and the last refresh (the channel store's settings, on either
// engine), and refresh every person's next best products on a schedule.
import type { ChannelStore, EventReader, LogEntry, StateStore } from '../store/index.ts';
import { mergeResolver } from '../value/index.ts';
import { mineRules } from './mine.ts';
import { type BasketKind, basketsOf, describeOrderIssues, readOrders } from './orders.ts';
import { refreshRecommendations } from './refresh.ts';
import {
  DEFAULT_SETTINGS,
  type RecommendationSettings,
  type RefreshSummary,
  type RulesQuery,
  type RulesReport,
} from './schemas.ts';

export interface RecommendationDeps {
  events: Pick<EventReader, 'query'>;
  state: Pick<StateStore, 'mergesOf' | 'profilesByConsent' | 'getProfile'>;
  settings: Pick<ChannelStore, 'getSetting' | 'putSetting'>;
  append: (entries: LogEntry[]) => Promise<unknown>;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
const SETTINGS_KEY = 'recommendations.settings';
const LAST_KEY = 'recommendations.last';

/** The store's orders as baskets, folded onto the profiles that live on after merges. */
export async function storeBaskets(
  deps: Pick<RecommendationDeps, 'events' | 'state'>,
  kind: BasketKind,
  since?: number,
) {
  const read = await readOrders(deps.events, since);
  const resolve = await mergeResolver(deps.state, [...new Set(read.orders.map((order) => order.profileId))]);
  return { ...basketsOf(read.orders, kind, resolve), read };
}

export class RecommendationService {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RefreshSummary> | undefined;

  constructor(private readonly deps: RecommendationDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  async rules(query: RulesQuery): Promise<RulesReport> {
    const now = this.now();
    const basket = query.basket ?? 'order';
    const since = query.days === undefined ? undefined : now.getTime() - query.days * DAY_MS;
    const { baskets, read } = await storeBaskets(this.deps, basket, since);
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

  async settings(): Promise<RecommendationSettings> {
    const stored = await this.deps.settings.getSetting(SETTINGS_KEY);
    return stored ? { ...DEFAULT_SETTINGS, ...JSON.parse(stored) } : DEFAULT_SETTINGS;
  }

  async saveSettings(settings: RecommendationSettings): Promise<RecommendationSettings> {
    await this.deps.settings.putSetting(SETTINGS_KEY, JSON.stringify(settings));
    return settings;
  }

  async last(): Promise<RefreshSummary | null> {
    const stored = await this.deps.settings.getSetting(LAST_KEY);
    return stored ? (JSON.parse(stored) as RefreshSummary) : null;
  }

  /** One refresh at a time; a second call while one runs answers with that one. */
  refresh(): Promise<RefreshSummary> {
    this.#running ??= (async () => {
      try {
        const summary = await refreshRecommendations(this.deps, await this.settings());
        await this.deps.settings.putSetting(LAST_KEY, JSON.stringify(summary));
        return summary;
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Refreshes every `refreshHours` of the stored settings (checked hourly; 0 = off). */
  schedule(onError: (error: unknown) => void, checkMs = 3_600_000): void {
    const tick = async () => {
      const settings = await this.settings();
      if (settings.refreshHours <= 0) return;
      const last = await this.last();
      const due =
        !last || this.now().getTime() - Date.parse(last.computedAt) >= settings.refreshHours * 3_600_000;
      if (due) await this.refresh();
    };
    this.#timer = setInterval(() => tick().catch(onError), checkMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
