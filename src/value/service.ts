// The value scores in a running server: one refresh at a time (a second request joins the one
// running), the latest result kept in memory for the ranking, budget and renewal reports, and
// a refresh every N hours. The scores themselves live on the profiles as computed properties;
// what is kept here is the last run's whole list, so reports need no scan of every profile.
// The value page's distribution and scatter are SQL over those computed properties, and the
// model check is saved as a report in the state store, so those three answer after a restart.
import { RapportError } from '../errors/index.ts';
import type { NumericPropertyPair, StateStore } from '../store/index.ts';
import { allocateBudget, type BudgetPlan } from './budget.ts';
import {
  histogramEdges,
  METRIC_SCALES,
  type PercentileName,
  percentilePositions,
  percentilesFrom,
  type ValueMetric,
} from './distribution.ts';
import type { LeadAction } from './lead-score.ts';
import { type RefreshDeps, type RefreshOptions, type RefreshResult, refreshValue } from './refresh.ts';
import { type RenewalCalendar, renewalCalendar } from './renewals.ts';
import type { ValueValidation } from './validation.ts';
import { rankingOf, type ValueScore } from './value-model.ts';

/** RAPPORT_VALUE_REFRESH_HOURS: hours between scheduled refreshes; 0 turns the schedule off. */
export function refreshHoursFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.RAPPORT_VALUE_REFRESH_HOURS;
  if (raw === undefined || raw.trim() === '') return 24;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0 || hours > 24 * 366) {
    throw new RapportError(
      'RAPPORT_CONFIG_INVALID',
      `RAPPORT_VALUE_REFRESH_HOURS: must be a number of hours from 0 (off) to 8784 (got ${JSON.stringify(raw)})`,
      { field: 'RAPPORT_VALUE_REFRESH_HOURS' },
    );
  }
  return hours;
}

export interface RankedCustomer extends Pick<ValueScore, 'profileId' | 'score' | 'rank' | 'explanation'> {
  clv: number | null;
  churnRisk: number | null;
  leadScore: number;
}

/** The state store's part the service reads: the refresh's, the aggregates and the reports. */
export interface ValueServiceDeps extends RefreshDeps {
  state: RefreshDeps['state'] &
    Pick<
      StateStore,
      | 'numericPropertySummary'
      | 'numericPropertyAtPositions'
      | 'numericPropertyHistogram'
      | 'numericPropertyPairSample'
      | 'saveReport'
      | 'loadReport'
    >;
}

/** The report each refresh saves; no profile id in it (erasure does not look there). */
export const REFRESH_REPORT = 'value.refresh';

interface RefreshReport {
  computedAt: string;
  customers: number;
  buyers: number;
  validation: ValueValidation | null;
  validationNote: string | null;
}

export interface ValueDistribution {
  metric: ValueMetric;
  /** The last refresh's time; null when none has run. */
  computedAt: string | null;
  scale: 'log' | 'linear';
  /** Live profiles; `count` of them have the metric, `withoutValue` not (yet). */
  profiles: number;
  count: number;
  withoutValue: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  percentiles: Record<PercentileName, number> | null;
  bins: { from: number; to: number; count: number }[];
}

export interface ValueScatter {
  computedAt: string | null;
  /** Live profiles with a CLV; `sampled` of them are in `points`. */
  total: number;
  sampled: number;
  limit: number;
  /** Every k-th of those profiles in CLV order, ties by id (k = ceil(total / limit)): the same points every time. */
  every: number;
  points: { profileId: string; clv: number; pAlive: number }[];
}

export class ValueService {
  readonly #deps: ValueServiceDeps;
  readonly #options: RefreshOptions;
  #latest: RefreshResult | null = null;
  #running: Promise<RefreshResult> | null = null;
  #timer: NodeJS.Timeout | null = null;

  readonly #onLeadActions: ((actions: LeadAction[]) => Promise<unknown>) | undefined;

  /**
   * `onLeadActions` receives each refresh's threshold crossings (the server queues them as
   * sales tasks through the conductor); a failure there fails the refresh, so it is retried
   * rather than lost, and the task keys make a retry harmless.
   */
  constructor(
    deps: ValueServiceDeps,
    options: RefreshOptions = {},
    onLeadActions?: (actions: LeadAction[]) => Promise<unknown>,
  ) {
    this.#deps = deps;
    this.#options = options;
    this.#onLeadActions = onLeadActions;
  }

  get latest(): RefreshResult | null {
    return this.#latest;
  }

  /** Runs a refresh, or joins the one already running. */
  refresh(options: RefreshOptions = {}): Promise<RefreshResult> {
    if (this.#running) return this.#running;
    this.#running = refreshValue(this.#deps, { ...this.#options, ...options })
      .then(async (result) => {
        this.#latest = result;
        const report: RefreshReport = {
          computedAt: result.computedAt,
          customers: result.customers,
          buyers: result.buyers,
          validation: result.validation,
          validationNote: result.validationNote,
        };
        await this.#deps.state.saveReport({ name: REFRESH_REPORT, body: report, savedAt: result.computedAt });
        await this.#onLeadActions?.(result.leadActions);
        return result;
      })
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  /** Refreshes every `hours` (not at start: the pipeline may still be catching up). */
  schedule(hours: number, onError: (error: unknown) => void): void {
    this.stop();
    if (!(hours > 0)) return;
    this.#timer = setInterval(() => this.refresh().catch(onError), hours * 3_600_000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * After a restart: when an earlier refresh left its report, recompute it in the background
   * as of the moment it was computed, so the ranking, renewal calendar and budget (which need
   * the whole result, kept in memory) answer again with the same scores, without anyone asking
   * for a refresh. The profiles' stored scores are rewritten with equal values meanwhile.
   * Resolves whether it started one.
   */
  async restoreAfterRestart(onError: (error: unknown) => void): Promise<boolean> {
    const report = await this.#report();
    if (this.#latest || this.#running || !report) return false;
    this.refresh({ asOf: new Date(report.computedAt) }).catch(onError);
    return true;
  }

  ranking(
    order: 'top' | 'bottom',
    limit: number,
  ): { computedAt: string; customers: number; items: RankedCustomer[] } {
    const latest = this.#require();
    const byId = new Map(latest.scores.map((score) => [score.profileId, score]));
    const items = rankingOf(
      latest.scores.map((score) => score.value),
      order,
      limit,
    ).map((value) => {
      const scores = byId.get(value.profileId)!;
      return {
        profileId: value.profileId,
        score: value.score,
        rank: value.rank,
        explanation: value.explanation,
        clv: scores.clv,
        churnRisk: scores.churnRisk,
        leadScore: scores.lead.score,
      };
    });
    return { computedAt: latest.computedAt, customers: latest.customers, items };
  }

  renewals(months: number, from: Date = new Date()): RenewalCalendar & { computedAt: string } {
    const latest = this.#require();
    return { computedAt: latest.computedAt, ...renewalCalendar(latest.subscriptions, from, months) };
  }

  /** Value at risk uses the value score (0-1) times churn risk; customers without a risk are left out. */
  budget(amount: number, costPerCustomer: number): BudgetPlan & { computedAt: string } {
    const latest = this.#require();
    const candidates = latest.scores
      .filter((score) => score.churnRisk !== null)
      .map((score) => ({
        profileId: score.profileId,
        value: score.value.score,
        churnRisk: score.churnRisk!,
      }));
    return { computedAt: latest.computedAt, ...allocateBudget(candidates, { amount, costPerCustomer }) };
  }

  /** Histogram, percentiles and mean of one score over the live profiles, counted in SQL. */
  async distribution(metric: ValueMetric, bins: number): Promise<ValueDistribution> {
    const state = this.#deps.state;
    const scale = METRIC_SCALES[metric];
    const summary = await state.numericPropertySummary(metric);
    const valueAt = await state.numericPropertyAtPositions(metric, percentilePositions(summary.count));
    const edges = histogramEdges(scale, summary, bins);
    const counts = edges.length > 1 ? await state.numericPropertyHistogram(metric, edges) : [];
    return {
      metric,
      computedAt: (await this.#report())?.computedAt ?? null,
      scale,
      profiles: summary.profiles,
      count: summary.count,
      withoutValue: Math.max(0, summary.profiles - summary.count),
      mean: summary.mean,
      min: summary.min,
      max: summary.max,
      percentiles: percentilesFrom(summary.count, valueAt),
      bins: counts.map((count, i) => ({ from: edges[i]!, to: edges[i + 1]!, count })),
    };
  }

  /** P(alive) against CLV for a deterministic sample of at most `limit` profiles. */
  async scatter(limit: number): Promise<ValueScatter> {
    const sample = await this.#deps.state.numericPropertyPairSample('clv', 'p_alive', limit);
    return {
      computedAt: (await this.#report())?.computedAt ?? null,
      total: sample.total,
      sampled: sample.points.length,
      limit,
      every: sample.total === 0 ? 1 : Math.ceil(sample.total / limit),
      points: sample.points.map((point: NumericPropertyPair) => ({
        profileId: point.profileId,
        clv: point.x,
        pAlive: point.y,
      })),
    };
  }

  /** The last refresh's model check (saved in the state store, so it survives a restart). */
  async validation(): Promise<{
    computedAt: string;
    note: string | null;
    validation: ValueValidation | null;
  }> {
    const report = await this.#report();
    if (!report) throw noRefresh();
    return { computedAt: report.computedAt, note: report.validationNote, validation: report.validation };
  }

  async #report(): Promise<RefreshReport | undefined> {
    return (await this.#deps.state.loadReport(REFRESH_REPORT))?.body as RefreshReport | undefined;
  }

  #require(): RefreshResult {
    if (this.#latest) return this.#latest;
    if (this.#running) {
      throw new RapportError(
        'RAPPORT_VALUE_RECOMPUTING',
        'the value scores are being recomputed (after a restart or on request); try again when it finishes',
        { retryAfterSeconds: 10 },
      );
    }
    throw new RapportError(
      'RAPPORT_API_NOT_FOUND',
      'no value refresh has run since this server started: run `rapport value refresh` (POST /api/value/refresh)',
    );
  }
}

function noRefresh(): RapportError {
  return new RapportError(
    'RAPPORT_API_NOT_FOUND',
    'no value refresh has run yet: run `rapport value refresh` (POST /api/value/refresh)',
  );
}
