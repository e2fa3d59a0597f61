// The lead score for sales: fit (who they are: traits such as company size, role, plan) plus
// behaviour (what they did lately: each event's points halve every `halfLifeDays`). Crossing a
// threshold upwards asks for a sales task. Fit points can be written by hand or learnt from
// who converted (a logistic regression on the trait values: 10 points per unit of log-odds).
// The band report compares scores at a past cutoff with who converted afterwards, so the score
// can be trusted or tuned.
import { fitLogistic } from './logistic.ts';

export interface TraitRule {
  trait: string;
  /** Matches when the trait equals this value (strings compare case-insensitively). */
  equals?: string | number | boolean;
  /** Matches when the trait is one of these. */
  oneOf?: (string | number | boolean)[];
  /** Matches when the trait is a number (or numeric text) ≥ this. */
  atLeast?: number;
  points: number;
}

export interface BehaviourRule {
  /** Track event name. */
  event: string;
  points: number;
}

export interface LeadThreshold {
  name: string;
  score: number;
  action: 'create_sales_task';
}

export interface LeadScoreConfig {
  fit: TraitRule[];
  behaviour: BehaviourRule[];
  halfLifeDays: number;
  thresholds: LeadThreshold[];
  /** Band edges for the band report, ascending. */
  bands: number[];
}

export const DEFAULT_LEAD_SCORE: LeadScoreConfig = {
  fit: [
    { trait: 'company_size', atLeast: 50, points: 15 },
    { trait: 'role', oneOf: ['founder', 'ceo', 'cto', 'vp', 'director', 'head', 'manager'], points: 15 },
    { trait: 'plan', oneOf: ['pro', 'business', 'enterprise', 'supplies-club'], points: 10 },
  ],
  behaviour: [
    { event: 'Signed Up', points: 10 },
    { event: 'Product Viewed', points: 1 },
    { event: 'Product Added', points: 3 },
    { event: 'Checkout Started', points: 5 },
    { event: 'Email Link Clicked', points: 2 },
    { event: 'Demo Requested', points: 25 },
    { event: 'Trial Started', points: 15 },
  ],
  halfLifeDays: 14,
  thresholds: [{ name: 'sales-ready', score: 50, action: 'create_sales_task' }],
  bands: [0, 25, 50, 75],
};

export interface LeadScore {
  profileId: string;
  fit: number;
  behaviour: number;
  score: number;
}

/** How a lead score is made up: the fit rules that matched and each event's decayed points. */
export interface LeadBreakdown {
  fit: { rule: string; points: number }[];
  behaviour: { event: string; count: number; points: number }[];
}

export interface LeadAction {
  profileId: string;
  threshold: string;
  action: LeadThreshold['action'];
  score: number;
  previousScore: number | null;
}

/** Fit points of one profile's traits: the sum of the rules that match. */
export function fitPoints(traits: Record<string, unknown>, rules: readonly TraitRule[]): number {
  let points = 0;
  for (const rule of rules) if (ruleMatches(rule, traits[rule.trait])) points += rule.points;
  return points;
}

/** The fit rules that match, each described as a marketer reads it (`role is cto`). */
export function matchedFitRules(
  traits: Record<string, unknown>,
  rules: readonly TraitRule[],
): LeadBreakdown['fit'] {
  return rules
    .filter((rule) => ruleMatches(rule, traits[rule.trait]))
    .map((rule) => ({ rule: describeTraitRule(rule, traits[rule.trait]), points: rule.points }));
}

function describeTraitRule(rule: TraitRule, value: unknown): string {
  if (rule.atLeast !== undefined) return `${rule.trait} ${String(value)} ≥ ${rule.atLeast}`;
  return `${rule.trait} is ${String(value)}`;
}

/**
 * One line: `52.5 = fit 30 (company_size 120 ≥ 50 +15, role is CTO +15) + behaviour 22.5
 * (Demo Requested ×1 +20, Product Viewed ×4 +2.5)`. Parts are largest first; behaviour points
 * are today's, after the half-life decay.
 */
export function describeLeadScore(score: LeadScore, breakdown: LeadBreakdown): string {
  const fit = [...breakdown.fit].sort((left, right) => right.points - left.points);
  const behaviour = breakdown.behaviour
    .filter((part) => round1(part.points) !== 0)
    .sort((left, right) => right.points - left.points);
  const fitText = fit.map((part) => `${part.rule} ${signed(part.points)}`).join(', ');
  const behaviourText = behaviour
    .map((part) => `${part.event} ×${part.count} ${signed(round1(part.points))}`)
    .join(', ');
  return (
    `${score.score} = fit ${round1(score.fit)}${fitText ? ` (${fitText})` : ''}` +
    ` + behaviour ${round1(score.behaviour)}${behaviourText ? ` (${behaviourText})` : ''}`
  );
}

function signed(points: number): string {
  return points < 0 ? `−${-points}` : `+${points}`;
}

function ruleMatches(rule: TraitRule, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (rule.atLeast !== undefined) {
    const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
    return Number.isFinite(number) && number >= rule.atLeast;
  }
  const wanted = rule.oneOf ?? (rule.equals === undefined ? [] : [rule.equals]);
  return wanted.some((candidate) => sameValue(candidate, value));
}

function sameValue(left: unknown, right: unknown): boolean {
  if (typeof left === 'string' && typeof right === 'string')
    return left.toLowerCase() === right.toLowerCase();
  return left === right;
}

/** Behaviour points: each event's points × 0.5^(age / half-life). Future events count fully. */
export function decayedPoints(
  events: readonly { event: string; at: number }[],
  rules: readonly BehaviourRule[],
  asOf: number,
  halfLifeDays: number,
): number {
  const pointsOf = new Map(rules.map((rule) => [rule.event, rule.points]));
  let total = 0;
  for (const { event, at } of events) {
    const points = pointsOf.get(event);
    if (points === undefined) continue;
    total += points * decayFactor(asOf - at, halfLifeDays);
  }
  return total;
}

export function decayFactor(ageMs: number, halfLifeDays: number): number {
  if (!(halfLifeDays > 0)) return 1;
  return 0.5 ** (Math.max(0, ageMs) / (halfLifeDays * 86_400_000));
}

export function leadScore(profileId: string, fit: number, behaviour: number): LeadScore {
  const safeFit = Number.isFinite(fit) ? fit : 0;
  const safeBehaviour = Number.isFinite(behaviour) ? behaviour : 0;
  return { profileId, fit: safeFit, behaviour: safeBehaviour, score: round1(safeFit + safeBehaviour) };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * A sales task for each threshold crossed upwards since the previous score. A profile seen for
 * the first time (no previous score) crosses every threshold it is at or above.
 */
export function thresholdCrossings(
  scores: readonly LeadScore[],
  previous: ReadonlyMap<string, number>,
  thresholds: readonly LeadThreshold[],
): LeadAction[] {
  const actions: LeadAction[] = [];
  for (const { profileId, score } of scores) {
    const before = previous.get(profileId);
    for (const threshold of thresholds) {
      if (score < threshold.score) continue;
      if (before !== undefined && before >= threshold.score) continue;
      actions.push({
        profileId,
        threshold: threshold.name,
        action: threshold.action,
        score,
        previousScore: before ?? null,
      });
    }
  }
  return actions;
}

export interface LeadBand {
  /** `[from, to)`; the last band has no upper end. */
  from: number;
  to: number | null;
  leads: number;
  converted: number;
  /** converted / leads; null for an empty band. */
  conversionRate: number | null;
}

/** Score bands against later conversion: a score worth trusting converts more in higher bands. */
export function bandReport(
  rows: readonly { score: number; converted: boolean }[],
  edges: readonly number[],
): LeadBand[] {
  const sorted = [...new Set(edges)].sort((a, b) => a - b);
  const bands: LeadBand[] = sorted.map((from, index) => ({
    from,
    to: sorted[index + 1] ?? null,
    leads: 0,
    converted: 0,
    conversionRate: null,
  }));
  for (const row of rows) {
    const band = [...bands].reverse().find((candidate) => row.score >= candidate.from) ?? bands[0];
    if (!band) continue;
    band.leads += 1;
    if (row.converted) band.converted += 1;
  }
  for (const band of bands) band.conversionRate = band.leads > 0 ? band.converted / band.leads : null;
  return bands;
}

export interface LearnedFit {
  rules: TraitRule[];
  /** Trait values seen too rarely to learn from (fewer than minCount profiles). */
  skipped: number;
  converted: number;
  examples: number;
}

/**
 * Fit points learnt from who converted: one indicator per (trait, value) seen at least
 * `minCount` times, a logistic regression of conversion on them, and 10 points per unit of
 * log-odds (rounded). Numbers are treated as categories only when they are few; use a hand
 * rule with `atLeast` for sizes.
 */
export function learnFitRules(
  examples: readonly { traits: Record<string, unknown>; converted: boolean }[],
  traits: readonly string[],
  minCount = 20,
): LearnedFit {
  const counts = new Map<string, { trait: string; value: string | number | boolean; count: number }>();
  for (const example of examples) {
    for (const trait of traits) {
      const value = example.traits[trait];
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      const key = `${trait}\u0000${typeof value === 'string' ? value.toLowerCase() : String(value)}`;
      const entry = counts.get(key) ?? {
        trait,
        value: typeof value === 'string' ? value.toLowerCase() : value,
        count: 0,
      };
      entry.count += 1;
      counts.set(key, entry);
    }
  }
  const columns = [...counts.values()].filter((entry) => entry.count >= minCount);
  const converted = examples.filter((example) => example.converted).length;
  const base = { skipped: counts.size - columns.length, converted, examples: examples.length };
  if (columns.length === 0 || converted === 0 || converted === examples.length) return { rules: [], ...base };
  const rows = examples.map((example) =>
    columns.map((column) => (sameValue(column.value, example.traits[column.trait]) ? 1 : 0)),
  );
  const fit = fitLogistic(
    columns.map((column) => `${column.trait}=${String(column.value)}`),
    rows,
    examples.map((example) => example.converted),
    { ridge: 1 },
  );
  const rules = columns
    .map((column, j) => ({
      trait: column.trait,
      equals: column.value,
      points: Math.round(10 * fit.coefficients[j]!),
    }))
    .filter((rule) => rule.points !== 0);
  return { rules, ...base };
}
