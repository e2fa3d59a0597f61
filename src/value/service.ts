// The value scores in a running server: one refresh at a time (a second request joins the one
// running), the latest result kept in memory for the ranking, budget and renewal reports, and
// a refresh every N hours. The scores themselves live on the profiles as computed properties;
// what is kept here is the last run's whole list, so reports need no scan of every profile.
import { RapportError } from '../errors/index.ts';
import { allocateBudget, type BudgetPlan } from './budget.ts';
import { type RefreshDeps, type RefreshOptions, type RefreshResult, refreshValue } from './refresh.ts';
import { type RenewalCalendar, renewalCalendar } from './renewals.ts';
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

export class ValueService {
  readonly #deps: RefreshDeps;
  readonly #options: RefreshOptions;
  #latest: RefreshResult | null = null;
  #running: Promise<RefreshResult> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: RefreshDeps, options: RefreshOptions = {}) {
    this.#deps = deps;
    this.#options = options;
  }

  get latest(): RefreshResult | null {
    return this.#latest;
  }

  /** Runs a refresh, or joins the one already running. */
  refresh(options: RefreshOptions = {}): Promise<RefreshResult> {
    if (this.#running) return this.#running;
    this.#running = refreshValue(this.#deps, { ...this.#options, ...options })
      .then((result) => {
        this.#latest = result;
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

  #require(): RefreshResult {
    if (this.#latest) return this.#latest;
    throw new RapportError(
      'RAPPORT_API_NOT_FOUND',
      'no value refresh has run since this server started: run `rapport value refresh` (POST /api/value/refresh)',
    );
  }
}
