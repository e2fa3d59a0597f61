// `refreshValue`: every value score recomputed from the event store and written as computed
// properties on the profiles. It reads as numbered steps, each a call into a pure model or a
// feature query:
//  1. who lives where after merges (a resolver from the state store's merge records)
//  2. CLV and P(alive): purchase summaries → BG/NBD + Gamma-Gamma → predictions, and the
//     model check: the same fit on an earlier calibration period against the holdout after it
//  3. churn risk: learn from subscribers at a past cutoff, score today's subscribers
//  4. the renewal calendar's input: active subscriptions with their next renewal
//  5. the value score, rank and explanation over every profile
//  6. the lead score and the thresholds it crossed since the last refresh
//  7. write the computed properties
import type { ComputedProperty, EventReader, StateStore } from '../store/index.ts';
import { type ChurnFitResult, type ChurnSignals, churnRisk, fitChurnModel } from './churn.ts';
import { predictCustomers } from './clv.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './dates.ts';
import {
  countEventRules,
  decayedBehaviourByEvent,
  type EventRule,
  latestSubscriptionEvents,
  latestTraits,
  type ProfileResolver,
  profileSpans,
  purchaseSummaries,
  type SubscriberAtCutoff,
  subscribersAt,
} from './features.ts';
import { fitValueModels } from './fit.ts';
import {
  DEFAULT_LEAD_SCORE,
  describeLeadScore,
  fitPoints,
  type LeadAction,
  type LeadBreakdown,
  type LeadScore,
  type LeadScoreConfig,
  leadScore,
  matchedFitRules,
  thresholdCrossings,
} from './lead-score.ts';
import { type ActiveSubscription, addPeriod, parseBillingPeriod } from './renewals.ts';
import { type ValueValidation, validateLifetimeValue } from './validation.ts';
import { scoreValue, type ValueDimension, type ValueScore, validateDimensions } from './value-model.ts';

/** Where a dimension's raw value comes from. */
export type DimensionSource =
  | { kind: 'clv' }
  | { kind: 'tenure' }
  | { kind: 'events'; rules: EventRule[] }
  | { kind: 'trait'; trait: string };

export interface ValueDimensionConfig extends ValueDimension {
  source: DimensionSource;
}

export const DEFAULT_DIMENSIONS: ValueDimensionConfig[] = [
  { name: 'clv', weight: 0.4, normalise: 'rank', source: { kind: 'clv' } },
  {
    name: 'advocacy',
    weight: 0.2,
    normalise: 'rank',
    source: {
      kind: 'events',
      rules: [
        { event: 'Referral Sent' },
        { event: 'Product Reviewed' },
        { event: 'NPS Submitted', property: 'score', atLeast: 9 },
        { event: 'Survey Responded', property: 'score', atLeast: 9 },
      ],
    },
  },
  {
    name: 'feedback',
    weight: 0.1,
    normalise: 'rank',
    source: { kind: 'events', rules: [{ event: 'Bug Reported' }, { event: 'Feature Requested' }] },
  },
  {
    name: 'reference',
    weight: 0.1,
    normalise: 'rank',
    source: {
      kind: 'events',
      rules: [{ event: 'Case Study Published' }, { event: 'Reference Call Completed' }],
    },
  },
  { name: 'loyalty', weight: 0.1, normalise: 'rank', source: { kind: 'tenure' } },
  {
    name: 'engagement',
    weight: 0.1,
    normalise: 'rank',
    source: {
      kind: 'events',
      rules: [
        { event: 'Email Opened', withinDays: 90 },
        { event: 'Email Link Clicked', withinDays: 90 },
        { type: 'page', withinDays: 90 },
        { type: 'screen', withinDays: 90 },
      ],
    },
  },
];

export interface RefreshOptions {
  /** The moment scores are computed for (defaults to now). */
  asOf?: Date;
  unit?: TimeUnit;
  /** CLV horizon in `unit`s (default 52 weeks); 0 gives CLV 0. */
  horizon?: number;
  annualDiscountRate?: number;
  /** Churn is "cancels within this many days" (default 60). */
  churnHorizonDays?: number;
  /** Signals count events in this many days before the moment (default 90). */
  signalWindowDays?: number;
  dimensions?: ValueDimensionConfig[];
  lead?: LeadScoreConfig;
  /** Days held out for the model check (default: a third of the purchase history, at most 365). */
  holdoutDays?: number;
}

export interface RefreshDeps {
  events: Pick<EventReader, 'query'>;
  state: Pick<StateStore, 'setComputedProperties' | 'computedPropertiesOf' | 'mergesOf'>;
}

export interface RefreshResult {
  computedAt: string;
  customers: number;
  buyers: number;
  subscribers: number;
  clv: {
    params: Record<string, number> | null;
    spendParams: Record<string, number> | null;
    unit: TimeUnit;
    horizon: number;
  };
  churn: {
    /** Whether the subscriber model is fitted; when not, subscribers have no churn risk. */
    fitted: boolean;
    /** Why it is not fitted (not enough churners or stayers), for the API and the Value page. */
    note: string | null;
    examples: number;
    heldOut: number;
    heldOutAuc: number | null;
    trainingAuc: number | null;
    baseRate: number | null;
    coefficients: Record<string, number> | null;
  };
  warnings: string[];
  /** The calibration/holdout check of the purchase model; null when it could not run (a warning says why). */
  validation: ValueValidation | null;
  /** Why there is no validation, when there is none. */
  validationNote: string | null;
  leadActions: LeadAction[];
  scores: ProfileScores[];
  subscriptions: ActiveSubscription[];
}

/** Everything computed for one profile. */
export interface ProfileScores {
  profileId: string;
  clv: number | null;
  pAlive: number | null;
  /** A buyer's P(leaves at the next purchase | still a customer), for the retention budget. */
  leaveRisk: number | null;
  churnRisk: number | null;
  value: ValueScore;
  /** The score and its breakdown (`explanation`: the fit rules matched, each event's points). */
  lead: LeadScore & { explanation: string };
}

const DAY = 86_400_000;
const WRITE_CHUNK = 1_000;

export async function refreshValue(deps: RefreshDeps, options: RefreshOptions = {}): Promise<RefreshResult> {
  const asOf = (options.asOf ?? new Date()).getTime();
  const unit = options.unit ?? 'weeks';
  const horizon = options.horizon ?? 52;
  const dimensions = options.dimensions ?? DEFAULT_DIMENSIONS;
  const lead = options.lead ?? DEFAULT_LEAD_SCORE;
  validateDimensions(dimensions);
  const warnings: string[] = [];

  // 1. Who lives where after merges.
  const rawSpans = await profileSpans(deps.events, { asOf });
  const resolve = await mergeResolver(deps.state, [...rawSpans.keys()]);
  const spans = await profileSpans(deps.events, { asOf, resolve });
  const profileIds = [...spans.keys()].sort();

  // 2. CLV and P(alive).
  const clv = await predictLifetimeValue(
    deps,
    { asOf, unit, horizon, rate: options.annualDiscountRate ?? 0, resolve },
    warnings,
  );
  const check =
    clv.params === null
      ? { validation: null, note: null }
      : await validateLifetimeValue(deps.events, {
          asOf,
          unit,
          resolve,
          historyDays: clv.historyDays,
          ...(options.holdoutDays !== undefined ? { holdoutDays: options.holdoutDays } : {}),
        });
  if (check.note) warnings.push(check.note);

  // 3. Churn risk.
  const churnHorizonDays = options.churnHorizonDays ?? 60;
  const windowDays = options.signalWindowDays ?? 90;
  const history = await subscribersAt(deps.events, {
    cutoff: asOf - churnHorizonDays * DAY,
    windowDays,
    horizonDays: churnHorizonDays,
    resolve,
  });
  const churnFit = fitChurnModel(
    history
      .filter((s) => s.active)
      .map((s) => ({
        profileId: s.profileId,
        signals: signalsOf(s, asOf - churnHorizonDays * DAY),
        churned: s.cancelledWithinHorizon,
      })),
  );
  warnings.push(...churnFit.warnings);
  const today = (
    await subscribersAt(deps.events, { cutoff: asOf, windowDays, horizonDays: 0, resolve })
  ).filter((s) => s.active);
  const risks = churnRisks(churnFit, today, clv.pAlive, asOf);

  // 4. Active subscriptions with their next renewal.
  const subscriptions = await activeSubscriptions(
    deps.events,
    new Set(today.map((s) => s.profileId)),
    risks,
    asOf,
    resolve,
    warnings,
  );

  // 5. Value score, rank and explanation.
  const raw = await dimensionValues(deps.events, dimensions, profileIds, {
    asOf,
    resolve,
    clv: clv.value,
    spans,
  });
  const values = scoreValue(raw, dimensions);

  // 6. Lead score and the thresholds crossed since the last refresh.
  const leads = await leadScores(deps.events, lead, profileIds, { asOf, resolve });
  const previous = await previousLeadScores(deps.state, profileIds);
  const leadActions = thresholdCrossings(leads, previous, lead.thresholds);

  const scores = profileIds.map((profileId, i) => ({
    profileId,
    clv: clv.value.get(profileId) ?? null,
    pAlive: clv.pAlive.get(profileId) ?? null,
    leaveRisk: clv.leaveRisk.get(profileId) ?? null,
    churnRisk: risks.get(profileId) ?? null,
    value: values[i]!,
    lead: leads[i]!,
  }));

  // 7. Write the computed properties.
  const computedAt = new Date(asOf).toISOString();
  await writeScores(deps.state, scores, computedAt);

  return {
    computedAt,
    customers: profileIds.length,
    buyers: clv.value.size,
    subscribers: today.length,
    clv: { params: clv.params, spendParams: clv.spendParams, unit, horizon },
    churn: churnSummary(churnFit, history.filter((s) => s.active).length),
    warnings,
    validation: check.validation,
    validationNote: check.validation ? null : (check.note ?? 'model check skipped: CLV was not computed'),
    leadActions,
    scores,
    subscriptions,
  };
}

/** Follows merge records (loser → winner, repeatedly) so every stored id maps to a live profile. */
export async function mergeResolver(
  state: Pick<StateStore, 'mergesOf'>,
  profileIds: readonly string[],
): Promise<ProfileResolver> {
  const winnerOf = new Map<string, string>();
  for (let start = 0; start < profileIds.length; start += WRITE_CHUNK) {
    const merges = await state.mergesOf(profileIds.slice(start, start + WRITE_CHUNK));
    for (const merge of merges) if (merge.outcome === 'merged') winnerOf.set(merge.loserId, merge.winnerId);
  }
  if (winnerOf.size === 0) return (profileId) => profileId;
  return (profileId) => {
    let current = profileId;
    for (let hops = 0; hops < 100; hops++) {
      const next = winnerOf.get(current);
      if (next === undefined || next === current) return current;
      current = next;
    }
    return current;
  };
}

interface LifetimeValues {
  value: Map<string, number>;
  pAlive: Map<string, number>;
  /**
   * P(leaves at the next purchase | still a customer): under BG/NBD the drop-out probability p
   * ~ Beta(a, b), and x repeat purchases survived make it Beta(a, b + x), of mean a / (a + b + x).
   */
  leaveRisk: Map<string, number>;
  params: Record<string, number> | null;
  spendParams: Record<string, number> | null;
  /** Days from the earliest first purchase to the moment scored. */
  historyDays: number;
}

async function predictLifetimeValue(
  deps: RefreshDeps,
  options: { asOf: number; unit: TimeUnit; horizon: number; rate: number; resolve: ProfileResolver },
  warnings: string[],
): Promise<LifetimeValues> {
  const none: LifetimeValues = {
    value: new Map(),
    pAlive: new Map(),
    leaveRisk: new Map(),
    params: null,
    spendParams: null,
    historyDays: 0,
  };
  const { customers, rejected } = await purchaseSummaries(deps.events, options);
  const rejectedTotal = rejected.missing + rejected.notNumber + rejected.negative;
  if (rejectedTotal > 0) {
    warnings.push(
      `${rejectedTotal} Order Completed events left out of CLV: ${rejected.missing} without revenue or total, ${rejected.notNumber} with a revenue that is not a number, ${rejected.negative} with a negative revenue`,
    );
  }
  if (customers.length === 0) {
    warnings.push('CLV not computed: no Order Completed event with a usable revenue');
    return none;
  }
  let models: ReturnType<typeof fitValueModels>;
  try {
    models = fitValueModels(customers);
  } catch (error) {
    warnings.push(`CLV not computed: ${(error as Error).message}`);
    return none;
  }
  warnings.push(...models.bgNbd.warnings.map((warning) => `BG/NBD: ${warning}`));
  if (models.spendNote) warnings.push(`spend model: ${models.spendNote}`);
  const predictions = predictCustomers(models.bgNbd.params, models.spend, customers, {
    horizon: Math.max(0, options.horizon),
    annualDiscountRate: options.rate,
    unit: options.unit,
  });
  const value = new Map<string, number>();
  const pAlive = new Map<string, number>();
  for (const prediction of predictions) {
    value.set(prediction.customerId, finiteOr(prediction.clv, 0));
    pAlive.set(prediction.customerId, finiteOr(prediction.probabilityAlive, 1));
  }
  const { a, b } = models.bgNbd.params;
  const leaveRisk = new Map<string, number>();
  for (const customer of customers)
    leaveRisk.set(customer.customerId, finiteOr(a / (a + b + customer.frequency), 0));
  return {
    value,
    pAlive,
    leaveRisk,
    params: { ...models.bgNbd.params },
    spendParams: models.gammaGamma ? { ...models.gammaGamma.params } : null,
    historyDays:
      customers.reduce((longest, customer) => Math.max(longest, customer.age), 0) *
      DAYS_PER_UNIT[options.unit],
  };
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

function signalsOf(subscriber: SubscriberAtCutoff, at: number): ChurnSignals {
  const days = (from: number | null) => (from === null ? 0 : Math.max(0, (at - from) / DAY));
  return {
    // Never used: as long ago as the subscription itself.
    daysSinceLastUse: days(subscriber.lastUseAt ?? subscriber.startedAt),
    supportTickets: subscriber.supportTickets,
    emailOpens: subscriber.emailOpens,
    paymentFailures: subscriber.paymentFailures,
    tenureDays: days(subscriber.startedAt),
  };
}

/**
 * Subscribers get the churn model's risk, none when it is not fitted (not enough data); other
 * buyers 1 − P(alive) from the purchase model.
 */
function churnRisks(
  fit: ChurnFitResult,
  subscribers: readonly SubscriberAtCutoff[],
  pAlive: ReadonlyMap<string, number>,
  asOf: number,
): Map<string, number> {
  const risks = new Map<string, number>();
  for (const [profileId, alive] of pAlive) risks.set(profileId, 1 - alive);
  for (const subscriber of subscribers) {
    const risk = churnRisk(fit, signalsOf(subscriber, asOf));
    if (risk !== null && Number.isFinite(risk)) risks.set(subscriber.profileId, risk);
    else risks.delete(subscriber.profileId);
  }
  return risks;
}

function churnSummary(fit: ChurnFitResult, examples: number): RefreshResult['churn'] {
  const model = fit.model;
  return {
    fitted: model !== null,
    note: model ? null : (fit.warnings[0] ?? 'churn model not fitted'),
    examples,
    heldOut: model?.heldOut ?? 0,
    heldOutAuc: model?.heldOutAuc ?? null,
    trainingAuc: model?.trainingAuc ?? null,
    baseRate: fit.baseRate,
    coefficients: model
      ? Object.fromEntries(model.fit.names.map((name, j) => [name, model.fit.coefficients[j]!]))
      : null,
  };
}

async function activeSubscriptions(
  events: RefreshDeps['events'],
  active: ReadonlySet<string>,
  risks: ReadonlyMap<string, number>,
  asOf: number,
  resolve: ProfileResolver,
  warnings: string[],
): Promise<ActiveSubscription[]> {
  const latest = await latestSubscriptionEvents(events, { asOf, resolve });
  let unknownPeriods = 0;
  let noPrice = 0;
  const subscriptions: ActiveSubscription[] = [];
  for (const event of latest) {
    if (!active.has(event.profileId)) continue;
    const period = parseBillingPeriod(event.billingPeriod);
    if (!period.known) unknownPeriods += 1;
    if (event.price === null || event.price < 0) noPrice += 1;
    const subscription = {
      profileId: event.profileId,
      plan: event.plan,
      price: event.price !== null && event.price >= 0 ? event.price : 0,
      periodMonths: period.months,
      ...(period.days ? { periodDays: period.days } : {}),
      nextRenewalAt: 0,
      churnRisk: risks.get(event.profileId) ?? null,
    };
    subscription.nextRenewalAt = nextRenewal(event.renewalDate, event.at, subscription, asOf);
    subscriptions.push(subscription);
  }
  if (unknownPeriods > 0)
    warnings.push(`${unknownPeriods} subscriptions have no known billing_period: taken as monthly`);
  if (noPrice > 0) warnings.push(`${noPrice} subscriptions have no usable price: counted as 0 revenue`);
  return subscriptions;
}

/** The renewal_date the events announced, else the last billing moment stepped by the period past now. */
function nextRenewal(
  renewalDate: string | null,
  lastBilledAt: number,
  period: Pick<ActiveSubscription, 'periodMonths' | 'periodDays'>,
  asOf: number,
): number {
  const announced = renewalDate === null ? Number.NaN : Date.parse(renewalDate);
  let at = Number.isFinite(announced) ? announced : addPeriod(lastBilledAt, period);
  for (let steps = 0; at < asOf && steps < 1_000; steps++) at = addPeriod(at, period);
  return at;
}

async function dimensionValues(
  events: RefreshDeps['events'],
  dimensions: readonly ValueDimensionConfig[],
  profileIds: readonly string[],
  context: {
    asOf: number;
    resolve: ProfileResolver;
    clv: ReadonlyMap<string, number>;
    spans: ReadonlyMap<string, { firstSeen: number }>;
  },
): Promise<{ profileId: string; values: Record<string, number> }[]> {
  const rules = dimensions.flatMap((dimension) =>
    dimension.source.kind === 'events' ? dimension.source.rules : [],
  );
  const counts = await countEventRules(events, rules, context);
  const traitNames = dimensions.flatMap((dimension) =>
    dimension.source.kind === 'trait' ? [dimension.source.trait] : [],
  );
  const traits = traitNames.length > 0 ? await latestTraits(events, traitNames, context) : new Map();
  return profileIds.map((profileId) => {
    const values: Record<string, number> = {};
    let ruleIndex = 0;
    for (const dimension of dimensions) {
      const source = dimension.source;
      if (source.kind === 'clv') values[dimension.name] = context.clv.get(profileId) ?? 0;
      else if (source.kind === 'tenure') {
        const firstSeen = context.spans.get(profileId)?.firstSeen;
        values[dimension.name] = firstSeen === undefined ? 0 : (context.asOf - firstSeen) / DAY;
      } else if (source.kind === 'trait')
        values[dimension.name] = Number(traits.get(profileId)?.[source.trait]);
      else {
        const row = counts.get(profileId);
        let sum = 0;
        for (let k = 0; k < source.rules.length; k++) sum += row?.[ruleIndex + k] ?? 0;
        ruleIndex += source.rules.length;
        values[dimension.name] = sum;
      }
    }
    return { profileId, values };
  });
}

async function leadScores(
  events: RefreshDeps['events'],
  config: LeadScoreConfig,
  profileIds: readonly string[],
  context: { asOf: number; resolve: ProfileResolver },
): Promise<ScoredLead[]> {
  const traitNames = [...new Set(config.fit.map((rule) => rule.trait))];
  const traits = await latestTraits(events, traitNames, context);
  const behaviour = await decayedBehaviourByEvent(events, config.behaviour, {
    ...context,
    halfLifeDays: config.halfLifeDays,
  });
  return profileIds.map((profileId) => {
    const profileTraits = traits.get(profileId) ?? {};
    const parts = [...(behaviour.get(profileId) ?? new Map()).entries()].map(([event, part]) => ({
      event,
      count: part.count,
      points: part.points,
    }));
    const score = leadScore(
      profileId,
      fitPoints(profileTraits, config.fit),
      parts.reduce((sum, part) => sum + part.points, 0),
    );
    const breakdown: LeadBreakdown = { fit: matchedFitRules(profileTraits, config.fit), behaviour: parts };
    return { ...score, explanation: describeLeadScore(score, breakdown) };
  });
}

/** A lead score with its one-line breakdown, as written on the profile (`lead_explanation`). */
type ScoredLead = LeadScore & { explanation: string };

async function previousLeadScores(
  state: RefreshDeps['state'],
  profileIds: readonly string[],
): Promise<Map<string, number>> {
  const previous = new Map<string, number>();
  for (let start = 0; start < profileIds.length; start += WRITE_CHUNK) {
    const rows = await state.computedPropertiesOf(profileIds.slice(start, start + WRITE_CHUNK));
    for (const row of rows) {
      if (row.name === 'lead_score' && typeof row.value === 'number') previous.set(row.profileId, row.value);
    }
  }
  return previous;
}

/** The names written on each profile; a value the models could not give is not written (never NaN). */
export const COMPUTED_PROPERTY_NAMES = [
  'clv',
  'p_alive',
  'churn_risk',
  'value_score',
  'value_rank',
  'value_explanation',
  'lead_score',
  'lead_explanation',
] as const;

async function writeScores(
  state: RefreshDeps['state'],
  scores: readonly ProfileScores[],
  computedAt: string,
): Promise<void> {
  const rows: ComputedProperty[] = [];
  const add = (profileId: string, name: string, value: number | string | null) => {
    if (value === null || (typeof value === 'number' && !Number.isFinite(value))) return;
    rows.push({ profileId, name, value, computedAt });
  };
  for (const score of scores) {
    add(score.profileId, 'clv', score.clv === null ? null : round(score.clv, 2));
    add(score.profileId, 'p_alive', score.pAlive === null ? null : round(score.pAlive, 4));
    add(score.profileId, 'churn_risk', score.churnRisk === null ? null : round(score.churnRisk, 4));
    add(score.profileId, 'value_score', round(score.value.score, 4));
    add(score.profileId, 'value_rank', score.value.rank);
    add(score.profileId, 'value_explanation', score.value.explanation);
    add(score.profileId, 'lead_score', score.lead.score);
    add(score.profileId, 'lead_explanation', score.lead.explanation);
  }
  for (let start = 0; start < rows.length; start += WRITE_CHUNK * COMPUTED_PROPERTY_NAMES.length) {
    await state.setComputedProperties(
      rows.slice(start, start + WRITE_CHUNK * COMPUTED_PROPERTY_NAMES.length),
    );
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
