// The value scores in a running server: one refresh at a time (a second request joins the one
// running), the latest result kept in memory for the ranking, budget and renewal reports, and
// a refresh every N hours. The scores themselves live on the profiles as computed properties;
// what is kept here is the last run's whole list, so reports need no scan of every profile.
// The value page's distribution and scatter are counted in SQL over those computed properties
// once per refresh and saved as reports in the state store, with the model check: those three
// read one stored answer (milliseconds at 1M profiles) and answer after a restart.
import { RapportError } from '../errors/index.ts';
import type { NumericPropertyPair, NumericPropertySummary, StateStore } from '../store/index.ts';
import { allocateBudget, type BudgetPlan } from './budget.ts';
import {
  histogramEdges,
  histogramFromCountsBelow,
  MAX_HISTOGRAM_BINS,
  METRIC_SCALES,
  type PercentileName,
  percentilePositions,
  percentilesFrom,
  VALUE_METRICS,
  type ValueMetric,
} from './distribution.ts';
import type { LeadAction } from './lead-score.ts';
import { type RefreshDeps, type RefreshOptions, type RefreshResult, refreshValue } from './refresh.ts';
import { type RenewalCalendar, renewalCalendar } from './renewals.ts';
import type { ValueDistribution, ValueScatter } from './schema.ts';
import type { ValueValidation } from './validation.ts';
import type { ValueScore } from './value-model.ts';

/** RAPPORT_VALUE_REFRESH_HOURS: hours between scheduled refreshes; 0 turns the schedule off. */
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
      | 'numericPropertyPairSample'
      | 'numericPropertyCountsBelow'
      | 'saveReport'
      | 'loadReport'
      | 'saveReportPoints'
      | 'loadReportPoints'
      | 'deleteReports'
    >;
}

/** The scatter's cap: enough points to see the shape, few enough for any browser. */
export const MAX_SCATTER_POINTS = 2_000;
/** The scatter's limit the dashboard asks for (and the API's default): sampled by each refresh. */
export const DEFAULT_SCATTER_POINTS = 1_000;

/** The report each refresh saves; no profile id in it (erasure does not look there). */
export const REFRESH_REPORT = 'value.refresh';

/** One metric's distribution as of a refresh, for every bin count: no profile id in it. */
const distributionReport = (metric: ValueMetric) => `value.distribution.${metric}`;
/** A scatter sample's header (no profile id); its points are kept with saveReportPoints. */
const SCATTER_REPORTS = 'value.scatter.';
const scatterReport = (limit: number) => `${SCATTER_REPORTS}${limit}`;

interface StoredDistribution {
  /** The refresh it was counted after: a stored chart is only read while it is the latest. */
  computedAt: string;
  summary: NumericPropertySummary;
  percentiles: Record<PercentileName, number> | null;
  /** histograms[b - 1]: the bin counts for b bins, over histogramEdges(scale, summary, b). */
  histograms: number[][];
}

interface StoredScatter {
  computedAt: string;
  total: number;
  every: number;
}

interface RefreshReport {
  computedAt: string;
  customers: number;
  buyers: number;
  validation: ValueValidation | null;
  validationNote: string | null;
}

export class ValueService {
  readonly #deps: ValueServiceDeps;
  readonly #options: RefreshOptions;
  #latest: RefreshResult | null = null;
  #ranked: { of: RefreshResult; sorted: RefreshResult['scores'] } | undefined;
  #running: Promise<RefreshResult> | null = null;
  /** Profiles erased while a refresh runs: its result, computed from before, must not bring them back. */
  #erasedDuringRefresh = new Set<string>();
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
    this.#erasedDuringRefresh = new Set();
    this.#running = refreshValue(this.#deps, { ...this.#options, ...options })
      .then(async (computed) => {
        const result = withoutProfiles(computed, this.#erasedDuringRefresh);
        this.#latest = result;
        // The charts first: a stored chart is read only once the refresh report names its time.
        await this.#saveCharts(result.computedAt);
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

  /**
   * An erasure completed: the ranking, renewals and budget kept in memory stop naming these
   * profiles at once (the stored scores went with the profiles' rows).
   */
  forget(profileIds: readonly string[]): void {
    const erased = new Set(profileIds);
    if (this.#running) for (const id of erased) this.#erasedDuringRefresh.add(id);
    if (this.#latest) this.#latest = withoutProfiles(this.#latest, erased);
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
    const byRank = this.#byRank(latest);
    const count = Math.max(0, Math.min(limit, byRank.length));
    const chosen = order === 'top' ? byRank.slice(0, count) : byRank.slice(byRank.length - count).reverse();
    const items = chosen.map((scores) => {
      const value = scores.value;
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

  /**
   * The last refresh's customers in rank order, sorted once per refresh: at 1M customers a
   * sort (and a map of every score) per ranking call took 3 s.
   */
  #byRank(latest: RefreshResult): RefreshResult['scores'] {
    if (this.#ranked?.of !== latest) {
      const sorted = [...latest.scores].sort((left, right) => left.value.rank - right.value.rank);
      this.#ranked = { of: latest, sorted };
    }
    return this.#ranked.sorted;
  }

  /** The subscriber churn model of the last refresh (its coefficients are in the refresh's answer). */
  churnModel(): Omit<RefreshResult['churn'], 'coefficients'> & { computedAt: string } {
    const latest = this.#require();
    const { coefficients: _coefficients, ...churn } = latest.churn;
    return { computedAt: latest.computedAt, ...churn };
  }

  renewals(months: number, from: Date = new Date()): RenewalCalendar & { computedAt: string } {
    const latest = this.#require();
    return { computedAt: latest.computedAt, ...renewalCalendar(latest.subscriptions, from, months) };
  }

  /**
   * What can still be saved: the value score (0-1) × P(alive) × P(leaves if nothing is done,
   * while still a customer) × the action's effect. An active subscriber is alive (P = 1) with
   * the churn model's risk; another buyer has P(alive) from the purchase model and the chance
   * of leaving at their next purchase (BG/NBD's a / (a + b + x)). Ranking by 1 − P(alive)
   * instead picked the people surely gone. Customers with neither are left out.
   */
  budget(amount: number, costPerCustomer: number, effect?: number): BudgetPlan & { computedAt: string } {
    const latest = this.#require();
    const subscribers = new Set(latest.subscriptions.map((subscription) => subscription.profileId));
    const candidates = latest.scores.flatMap((score) => {
      if (subscribers.has(score.profileId)) {
        if (score.churnRisk === null) return [];
        return [
          { profileId: score.profileId, value: score.value.score, churnRisk: score.churnRisk, pAlive: 1 },
        ];
      }
      if (score.pAlive === null || score.leaveRisk === null) return [];
      return [
        {
          profileId: score.profileId,
          value: score.value.score,
          churnRisk: score.leaveRisk,
          pAlive: score.pAlive,
        },
      ];
    });
    const plan = allocateBudget(candidates, {
      amount,
      costPerCustomer,
      ...(effect === undefined ? {} : { effect }),
    });
    return { computedAt: latest.computedAt, ...plan };
  }

  /**
   * Histogram, percentiles and mean of one score over the live profiles as of the last refresh:
   * read from the report that refresh saved; counted in SQL when there is none (no refresh yet,
   * or one from before the reports were kept).
   */
  async distribution(metric: ValueMetric, bins: number): Promise<ValueDistribution> {
    const scale = METRIC_SCALES[metric];
    const refresh = await this.#report();
    const stored = (await this.#deps.state.loadReport(distributionReport(metric)))?.body as
      | StoredDistribution
      | undefined;
    const current = refresh && stored?.computedAt === refresh.computedAt ? stored : undefined;
    const counted = current ?? (await this.#countDistribution(metric, bins));
    const edges = histogramEdges(scale, counted.summary, bins);
    const counts = counted.histograms[bins - 1] ?? [];
    const { summary } = counted;
    return {
      metric,
      computedAt: refresh?.computedAt ?? null,
      scale,
      profiles: summary.profiles,
      count: summary.count,
      withoutValue: Math.max(0, summary.profiles - summary.count),
      mean: summary.mean,
      min: summary.min,
      max: summary.max,
      percentiles: counted.percentiles,
      bins: counts.map((count, i) => ({ from: edges[i]!, to: edges[i + 1]!, count })),
    };
  }

  /**
   * Counts one metric in SQL: summary, percentiles, and the histograms for the bin counts in
   * `binCounts` (each over histogramEdges) from one pass counting values below every edge.
   */
  async #countDistribution(
    metric: ValueMetric,
    ...binCounts: number[]
  ): Promise<Omit<StoredDistribution, 'computedAt'>> {
    const state = this.#deps.state;
    const scale = METRIC_SCALES[metric];
    const summary = await state.numericPropertySummary(metric);
    const valueAt = await state.numericPropertyAtPositions(metric, percentilePositions(summary.count));
    const edgesByBins = new Map(binCounts.map((bins) => [bins, histogramEdges(scale, summary, bins)]));
    const thresholds = [...new Set([...edgesByBins.values()].flat())];
    const below = new Map<number, number>();
    if (summary.count > 0 && thresholds.length > 0) {
      const counts = await state.numericPropertyCountsBelow(metric, thresholds);
      thresholds.forEach((threshold, i) => {
        below.set(threshold, counts[i]!);
      });
    }
    const histograms: number[][] = [];
    for (const [bins, edges] of edgesByBins)
      histograms[bins - 1] = histogramFromCountsBelow(edges, summary.count, (t) => below.get(t)!);
    return { summary, percentiles: percentilesFrom(summary.count, valueAt), histograms };
  }

  /**
   * P(alive) against CLV for a deterministic sample of at most `limit` profiles, as of the last
   * refresh: the sample that refresh saved (it saves the dashboard's limit), or for another
   * limit the one sampled in SQL on its first request and kept until the next refresh.
   * Erasing a profile deletes its point from a kept sample.
   */
  async scatter(limit: number): Promise<ValueScatter> {
    const state = this.#deps.state;
    const refresh = await this.#report();
    const name = scatterReport(limit);
    const stored = (await state.loadReport(name))?.body as StoredScatter | undefined;
    if (refresh && stored?.computedAt === refresh.computedAt) {
      return scatterAnswer(refresh.computedAt, limit, stored, await state.loadReportPoints(name));
    }
    const sample = await state.numericPropertyPairSample('clv', 'p_alive', limit);
    const header: StoredScatter = {
      computedAt: refresh?.computedAt ?? '',
      total: sample.total,
      every: everyKth(sample.total, limit),
    };
    // Kept only between refreshes: during one the scores are half rewritten.
    if (refresh && !this.#running) await this.#saveScatter(name, header, sample.points);
    return scatterAnswer(refresh?.computedAt ?? null, limit, header, sample.points);
  }

  /** After a refresh wrote the scores: every metric's distribution, and the dashboard's scatter. */
  async #saveCharts(computedAt: string): Promise<void> {
    const state = this.#deps.state;
    const allBins = Array.from({ length: MAX_HISTOGRAM_BINS }, (_, i) => i + 1);
    for (const metric of VALUE_METRICS) {
      const body: StoredDistribution = { computedAt, ...(await this.#countDistribution(metric, ...allBins)) };
      await state.saveReport({ name: distributionReport(metric), body, savedAt: computedAt });
    }
    const sample = await state.numericPropertyPairSample('clv', 'p_alive', DEFAULT_SCATTER_POINTS);
    // Samples for other limits belong to the previous refresh.
    await state.deleteReports(SCATTER_REPORTS);
    await this.#saveScatter(
      scatterReport(DEFAULT_SCATTER_POINTS),
      { computedAt, total: sample.total, every: everyKth(sample.total, DEFAULT_SCATTER_POINTS) },
      sample.points,
    );
  }

  /** Points first, then the header that makes them readable. */
  async #saveScatter(name: string, header: StoredScatter, points: NumericPropertyPair[]): Promise<void> {
    await this.#deps.state.saveReportPoints(name, points);
    await this.#deps.state.saveReport({ name, body: header, savedAt: header.computedAt });
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

function everyKth(total: number, limit: number): number {
  return total === 0 ? 1 : Math.ceil(total / limit);
}

function scatterAnswer(
  computedAt: string | null,
  limit: number,
  header: StoredScatter,
  points: NumericPropertyPair[],
): ValueScatter {
  return {
    computedAt,
    total: header.total,
    sampled: points.length,
    limit,
    every: header.every,
    points: points.map((point) => ({ profileId: point.profileId, clv: point.x, pAlive: point.y })),
  };
}

function noRefresh(): RapportError {
  return new RapportError(
    'RAPPORT_API_NOT_FOUND',
    'no value refresh has run yet: run `rapport value refresh` (POST /api/value/refresh)',
  );
}

/** The result without these profiles (the same object when it names none of them). */
function withoutProfiles(result: RefreshResult, erased: ReadonlySet<string>): RefreshResult {
  if (erased.size === 0) return result;
  const kept = <T extends { profileId: string }>(rows: T[]) =>
    rows.filter((row) => !erased.has(row.profileId));
  const scores = kept(result.scores);
  if (scores.length === result.scores.length && !result.subscriptions.some((s) => erased.has(s.profileId)))
    return result;
  return {
    ...result,
    scores,
    subscriptions: kept(result.subscriptions),
    leadActions: kept(result.leadActions),
  };
}
