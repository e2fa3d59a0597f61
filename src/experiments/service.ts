// The experiments at run time: definitions (store.ts), assignment with its exposure event, and
// results read from the warehouse (sql/metrics.ts) and turned into statistics (results.ts).
import { createHash } from 'node:crypto';
import type { GlobalHoldout } from '../conductor/index.ts';
import { RapportError } from '../errors/index.ts';
import { parsePayload } from '../events/index.ts';
import { daysOf, placementDaily, placementStats, resolveRange } from '../stats/index.ts';
import type { LogEntry } from '../store/index.ts';
import { type AssignmentOutcome, assignment, unitKey } from './assign.ts';
import {
  type BanditArm,
  type BanditDay,
  type BanditSummary,
  banditOverTime,
  banditSummary,
} from './bandit.ts';
import { checkExperiment, type Experiment, metricsOf } from './definition.ts';
import { type Increment, incrementOf } from './incrementality.ts';
import { isLive, type LivePlan, liveArm, needsPlan, planFor, splitWeightsOf } from './live.ts';
import { type ExperimentResults, experimentResults, type HoldoutLift, holdoutLift } from './results.ts';
import { armRows, type Engine, type ExposureSource, holdoutSplitsQuery, metricQuery } from './sql/metrics.ts';
import { programmeQuery } from './sql/programme.ts';
import { ExperimentStore, type SettingsPort } from './store.ts';

/** Segment's spec event for an exposure; recommendations log theirs with the same shape. */
export const EXPOSURE_EVENT = 'Experiment Viewed';
export const EXPERIMENTS_SOURCE = 'rapport-experiments';

export interface ExperimentServiceDeps {
  settings: SettingsPort;
  events: { query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> };
  engine: Engine;
  profileMap(): Promise<Map<string, string>>;
  appendToLog(entries: LogEntry[]): Promise<unknown>;
  now?: () => Date;
  /** The arbitration policy's global holdout, read when the programme's lift is asked for. */
  globalHoldout?: () => Promise<GlobalHoldout | undefined>;
  warn?: (message: string) => void;
  /** The offers defined now, so a bandit lists an offer nobody has seen yet. */
  offers?: () => ReadonlyArray<{ id: string; placement: string }>;
  /** How often live plans (placement arms, bandit weights) are recomputed (default 30 s; 0: never). */
  planRefreshMs?: number;
}

/** Exposures already logged, per experiment, so the render path appends each person once. */
const EXPOSURE_MEMORY = 100_000;

export interface PersonKey {
  userId?: string | undefined;
  anonymousId?: string | undefined;
}

export interface AssignRequest extends PersonKey {
  experimentId: string;
}

export class ExperimentService {
  readonly store: ExperimentStore;
  private plans: LivePlan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly exposed = new Map<string, Set<string>>();

  constructor(private readonly deps: ExperimentServiceDeps) {
    this.store = new ExperimentStore(deps.settings);
  }

  /** Computes the live plans now and then every planRefreshMs. */
  async start(): Promise<this> {
    await this.refreshPlans();
    const every = this.deps.planRefreshMs ?? 30_000;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.refreshPlans().catch((error: Error) => this.deps.warn?.(`experiment plans: ${error.message}`));
      }, every);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Each running experiment that changes what is served gets its plan: a placement's arms
   * (offers) with fixed weights, or a bandit's weights from the data so far (a placement's
   * offers by impressions and clicks, a journey split's arms by the primary metric).
   */
  async refreshPlans(): Promise<void> {
    const plans: LivePlan[] = [];
    for (const experiment of (await this.store.list()).filter(needsPlan)) {
      const stats = experiment.mode === 'bandit' ? await this.armStats(experiment) : undefined;
      plans.push(planFor(experiment, stats));
    }
    this.plans = plans;
  }

  /** Current plans, for the Experiments page: the weights a bandit gives each arm now. */
  livePlans(): { experimentId: string; arms: { id: string; weight: number }[] }[] {
    return this.plans.map((plan) => ({
      experimentId: plan.experiment.id,
      arms: plan.arms.map((arm, i) => ({ id: arm.id, weight: plan.weights[i] as number })),
    }));
  }

  private async armStats(experiment: Experiment): Promise<BanditArm[]> {
    const attachment = experiment.attachment;
    if (attachment.kind === 'placement') {
      const from = experiment.startAt?.slice(0, 10);
      const summary = await this.bandit(attachment.placementId, from ? { from } : { days: 30 }).catch(
        () => undefined,
      );
      return summary?.arms ?? [];
    }
    // A journey split: each arm's people and those who converted on the primary metric.
    const query = metricQuery({
      engine: this.deps.engine,
      exposure: exposureSource(experiment),
      metric: experiment.primaryMetric,
      profileMap: await this.deps.profileMap(),
    });
    return armRows(await this.deps.events.query(query.text, query.params)).map((row) => ({
      id: row.arm,
      impressions: row.n,
      clicks: row.sum,
    }));
  }

  /**
   * The offer a running experiment attached to the placement shows this person, with its
   * exposure logged once per person (not awaited: this is the render path).
   */
  placementArm(placementId: string, key: PersonKey, nowMs: number): string | undefined {
    const plan = this.plans.find(
      (p) =>
        p.experiment.attachment.kind === 'placement' && p.experiment.attachment.placementId === placementId,
    );
    const unit = unitKey(key);
    if (!plan || !unit) return undefined;
    const arm = liveArm(plan, unit, new Date(nowMs));
    if (!arm) return undefined;
    if (this.firstExposure(plan.experiment.id, unit)) {
      this.logExposure(plan.experiment, arm, key, unit).catch((error: Error) => {
        // Not remembered, so the person's next render logs it again (the message id is fixed:
        // a retry after a write that did land is deduplicated by the log).
        this.exposed.get(plan.experiment.id)?.delete(unit);
        this.deps.warn?.(`exposure not recorded yet (retried at the next render): ${error.message}`);
      });
    }
    return arm.id;
  }

  /** A journey split's arm weights while a bandit drives it: arm name → share of the treated. */
  splitWeights(journeyId: string, stepId: string): Record<string, number> | undefined {
    const plan = this.plans.find(
      (p) =>
        p.experiment.attachment.kind === 'journey' &&
        p.experiment.attachment.journeyId === journeyId &&
        p.experiment.attachment.stepId === stepId,
    );
    if (!plan || !isLive(plan, this.now())) return undefined;
    return splitWeightsOf(plan);
  }

  /** A channel experiment's arm for a person in its journey (the unit is their profile). */
  channelArm(
    journeyId: string,
    profileId: string,
  ): { experimentId: string; experimentName: string; armId: string; armName: string } | undefined {
    const plan = this.plans.find(
      (p) => p.experiment.attachment.kind === 'channel' && p.experiment.attachment.journeyId === journeyId,
    );
    const arm = plan ? liveArm(plan, `p:${profileId}`, this.now()) : undefined;
    if (!plan || !arm) return undefined;
    return {
      experimentId: plan.experiment.id,
      experimentName: plan.experiment.name,
      armId: arm.id,
      armName: arm.name,
    };
  }

  /** Erasure: the units remembered as exposed (a person's userId or anonymousId) are forgotten. */
  forgetIdentities(identities: readonly { kind: string; value: string }[]): void {
    for (const { kind, value } of identities) {
      const unit = kind === 'user_id' ? `u:${value}` : kind === 'anonymous_id' ? `a:${value}` : undefined;
      if (!unit) continue;
      for (const seen of this.exposed.values()) seen.delete(unit);
    }
  }

  /** Whether the render path still remembers this unit as exposed (for the erasure test). */
  remembersExposure(experimentId: string, unit: string): boolean {
    return this.exposed.get(experimentId)?.has(unit) ?? false;
  }

  private firstExposure(experimentId: string, unit: string): boolean {
    let seen = this.exposed.get(experimentId);
    if (!seen || seen.size >= EXPOSURE_MEMORY) {
      seen = new Set();
      this.exposed.set(experimentId, seen);
    }
    if (seen.has(unit)) return false;
    seen.add(unit);
    return true;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Event names the warehouse has seen, to refuse a metric with a misspelt event. */
  async knownEvents(): Promise<Set<string>> {
    const rows = await this.deps.events.query("SELECT DISTINCT name FROM events WHERE type = 'track'");
    return new Set(rows.map((row) => String(row.name)));
  }

  async save(input: unknown): Promise<Experiment> {
    const experiment = checkExperiment(input, await this.knownEvents());
    await this.store.put(experiment);
    await this.refreshPlans();
    return experiment;
  }

  async remove(id: string): Promise<void> {
    await this.store.remove(id);
    await this.refreshPlans();
  }

  /** The arm, and for a running experiment the exposure in the log (once per person: its id is fixed). */
  async assign(
    request: AssignRequest,
  ): Promise<AssignmentOutcome & { experiment: Experiment; unit: string }> {
    const experiment = await this.store.get(request.experimentId);
    const unit = unitKey(request) as string;
    const outcome = assignment(experiment, unit, this.now());
    if (outcome.inExperiment) await this.logExposure(experiment, outcome.arm, request, unit);
    return { ...outcome, experiment, unit };
  }

  private async logExposure(
    experiment: Experiment,
    arm: Experiment['arms'][number],
    request: PersonKey,
    unit: string,
  ): Promise<void> {
    const receivedAt = this.now();
    const messageId = `exposure:${createHash('sha256').update(`${experiment.id}\u0000${unit}`).digest('hex').slice(0, 32)}`;
    const parsed = parsePayload(
      {
        ...(request.userId ? { userId: request.userId } : {}),
        ...(request.anonymousId ? { anonymousId: request.anonymousId } : {}),
        type: 'track',
        event: EXPOSURE_EVENT,
        messageId,
        timestamp: receivedAt.toISOString(),
        properties: {
          experiment_id: experiment.id,
          experiment_name: experiment.name,
          variation_id: arm.id,
          variation_name: arm.name,
        },
      },
      'track',
      { receivedAt },
    );
    const accepted = parsed.accepted[0];
    if (!accepted) return;
    await this.deps.appendToLog([
      { messageId, source: EXPERIMENTS_SOURCE, receivedAt: receivedAt.toISOString(), json: accepted.json },
    ]);
  }

  /**
   * Conversion to `event` among everyone active in the last `days`, treated against the global
   * holdout. Null when no holdout is configured.
   */
  async programmeLift(event: string, days: number): Promise<ProgrammeLift | null> {
    const holdout = await this.deps.globalHoldout?.();
    if (!holdout || holdout.percent <= 0) return null;
    if ((await this.knownEvents()).has(event) === false) {
      throw new RapportError(
        'RAPPORT_EXPERIMENT_INVALID',
        `event: no event called ${JSON.stringify(event)} has been seen`,
        {
          field: 'event',
        },
      );
    }
    const endMs = this.now().getTime();
    const startMs = endMs - days * 86_400_000;
    const query = programmeQuery({
      engine: this.deps.engine,
      percent: holdout.percent,
      event,
      startMs,
      endMs,
      profileMap: await this.deps.profileMap(),
    });
    const rows = armRows(await this.deps.events.query(query.text, query.params));
    const metric = { name: event, kind: 'conversion' as const, event, windowHours: days * 24 };
    const lift = holdoutLift(metric, rows) ?? {
      treated: { n: rows.find((r) => r.arm === 'treated')?.n ?? 0, value: 0 },
      heldOut: { n: 0, value: 0 },
      effect: null,
      ci: null,
      pValue: null,
    };
    return {
      ...lift,
      percent: holdout.percent,
      event,
      from: new Date(startMs).toISOString(),
      to: new Date(endMs).toISOString(),
    };
  }

  /**
   * Per journey split with a holdout that held someone out in the range: the conversions and
   * the revenue (the first of `revenueProperties` the conversion event holds) the journey caused, each person
   * counted over `windowHours` after their split, treated arms pooled against the holdout.
   */
  async journeyIncrements(input: {
    startMs: number;
    endMs: number;
    conversion: string;
    revenueProperties: readonly string[];
    windowHours: number;
  }): Promise<JourneyIncrement[]> {
    const splits = holdoutSplitsQuery(this.deps.engine, input.startMs, input.endMs);
    const found = await this.deps.events.query(splits.text, splits.params);
    if (found.length === 0) return [];
    const profileMap = await this.deps.profileMap();
    const out: JourneyIncrement[] = [];
    for (const row of found) {
      const exposure = {
        kind: 'journey' as const,
        journeyId: String(row.journey_id),
        stepId: String(row.step_id),
      };
      const measure = async (metric: Parameters<typeof metricQuery>[0]['metric']) => {
        const query = metricQuery({
          engine: this.deps.engine,
          exposure,
          metric,
          profileMap,
          exposedBetween: { startMs: input.startMs, endMs: input.endMs },
          sumOf: input.revenueProperties,
        });
        return armRows(await this.deps.events.query(query.text, query.params));
      };
      const base = { event: input.conversion, windowHours: input.windowHours };
      const conversions = incrementOf(
        'proportion',
        await measure({ name: 'conversions', kind: 'conversion', ...base }),
      );
      const revenue = incrementOf(
        'mean',
        await measure({ name: 'revenue', kind: 'sum', property: input.revenueProperties[0]!, ...base }),
      );
      out.push({ journeyId: exposure.journeyId, stepId: exposure.stepId, conversions, revenue });
    }
    return out;
  }

  /**
   * Thompson sampling over a placement's offers, from their impressions and clicks in the range
   * (Promotion Viewed and Promotion Clicked, counted by the stats module): each offer's chance
   * of being the best, which is the share of decisions a bandit would give it, and the share
   * that explores away from the leader.
   */
  async bandit(
    placementId: string,
    range: { from?: string; to?: string; days?: number },
  ): Promise<BanditSummary & { placement: string; from: string; to: string }> {
    const defined = (this.deps.offers?.() ?? []).filter((offer) => offer.placement === placementId);
    const stats = await placementStats(this.deps.events, this.deps.engine, {
      range: resolveRange(range, this.now().getTime(), 30),
      defaulted: false,
      goal: null,
      defined,
    });
    const offers = stats.offers.filter((offer) => offer.placement === placementId);
    if (offers.length === 0) {
      throw new RapportError(
        'RAPPORT_EXPERIMENT_NOT_FOUND',
        `no offer of placement ${JSON.stringify(placementId)} is defined or was seen`,
      );
    }
    const summary = banditSummary(
      offers.map((o) => ({ id: o.offerId, impressions: o.impressions, clicks: o.clicks })),
    );
    return { ...summary, placement: placementId, from: stats.from, to: stats.to };
  }

  /**
   * Day by day over the range: each offer's share of the impressions served, and its chance of
   * being the best from the data up to that day (how a bandit's allocation would move).
   */
  async banditHistory(
    placementId: string,
    query: { from?: string; to?: string; days?: number },
  ): Promise<{ placement: string; from: string; to: string; draws: number; days: BanditDay[] }> {
    const range = resolveRange(query, this.now().getTime(), 30);
    const daily = await placementDaily(this.deps.events, this.deps.engine, placementId, range);
    const defined = (this.deps.offers?.() ?? []).filter((offer) => offer.placement === placementId);
    const armIds = [...new Set([...defined.map((offer) => offer.id), ...daily.map((row) => row.offerId)])];
    if (armIds.length === 0) {
      throw new RapportError(
        'RAPPORT_EXPERIMENT_NOT_FOUND',
        `no offer of placement ${JSON.stringify(placementId)} is defined or was seen`,
      );
    }
    const draws = 4_000;
    const days = banditOverTime(daysOf(range), armIds, daily, draws);
    return { placement: placementId, from: range.from, to: range.to, draws, days };
  }

  /** The results, and the weights the arms are served with now (a bandit's move). */
  async results(id: string): Promise<ExperimentResults & { servingWeights: Record<string, number> | null }> {
    const experiment = await this.store.get(id);
    const profileMap = await this.deps.profileMap();
    const exposure = exposureSource(experiment);
    const rowsByMetric = [];
    for (const { metric, role } of metricsOf(experiment)) {
      const query = metricQuery({ engine: this.deps.engine, exposure, metric, profileMap });
      rowsByMetric.push({
        metric,
        role,
        rows: armRows(await this.deps.events.query(query.text, query.params)),
      });
    }
    const plan = this.plans.find((p) => p.experiment.id === id);
    return {
      ...experimentResults(experiment, rowsByMetric),
      servingWeights: plan ? splitWeightsOf(plan) : null,
    };
  }
}

export interface JourneyIncrement {
  journeyId: string;
  stepId: string;
  conversions: Increment;
  revenue: Increment;
}

export interface ProgrammeLift extends HoldoutLift {
  percent: number;
  event: string;
  from: string;
  to: string;
}

export function exposureSource(experiment: Experiment): ExposureSource {
  const attachment = experiment.attachment;
  if (attachment.kind === 'journey') {
    return { kind: 'journey', journeyId: attachment.journeyId, stepId: attachment.stepId };
  }
  return { kind: 'experiment', experimentId: experiment.id };
}
