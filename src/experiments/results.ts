// Pure: an experiment's per-arm aggregates (sql/metrics.ts) turned into what the results page
// shows: per metric and arm the value, the difference from the control with its interval, the
// p-value (adjusted, the correction named) or the chance to win, the SRM check, a verdict in
// plain words, and for a journey split with a holdout the journey's lift over its holdout.
import { DEFAULT_MIN_PEOPLE_PER_ARM, type Experiment, type MetricDefinition } from './definition.ts';
import type { ArmMetricRow } from './sql/metrics.ts';
import {
  type ArmTotals,
  type MetricType,
  pooledTheta,
  summarise,
  summariseAdjusted,
} from './stats/aggregates.ts';
import { bayesianEffect } from './stats/bayesian.ts';
import { adjustPValues, type Correction } from './stats/corrections.ts';
import { DEFAULT_SEQUENTIAL_TUNING, sequentialTTest, welchTTest } from './stats/frequentist.ts';
import { type SrmResult, sampleRatioMismatch } from './stats/srm.ts';

export const ALPHA = 0.05;
export const CORRECTION: Correction = 'holm-bonferroni';
/** Bayesian: a chance to win above this (or below 1 − this) decides. */
export const DECISIVE_CHANCE = 0.95;

export interface ArmComparison {
  arm: string;
  n: number;
  /** Mean per person (a rate for conversion and retention). */
  value: number;
  /** Relative difference from the control; null for the control or when it cannot be computed. */
  effect: number | null;
  ci: [number, number] | null;
  pValue: number | null;
  adjustedPValue: number | null;
  chanceToWin: number | null;
  /** Why there is no difference: `control`, or `not enough data`. */
  note: string | null;
}

export interface MetricResult {
  name: string;
  kind: MetricDefinition['kind'];
  role: 'primary' | 'guardrail';
  arms: ArmComparison[];
  /** CUPED was applied (a pre-exposure covariate had variance). */
  cuped: boolean;
}

export interface HoldoutLift {
  /** Conversion (or the metric's mean) among the treated and the held out. */
  treated: { n: number; value: number };
  heldOut: { n: number; value: number };
  effect: number | null;
  ci: [number, number] | null;
  pValue: number | null;
}

export interface ExperimentResults {
  experimentId: string;
  engine: 'frequentist' | 'bayesian' | 'sequential';
  alpha: number;
  correction: Correction;
  srm: SrmResult & { counts: Record<string, number> };
  metrics: MetricResult[];
  /** The journey's lift on the primary metric: every arm pooled against the journey's holdout. */
  journeyHoldout: HoldoutLift | null;
  /** No winner is called before every arm has this many people. */
  minPeoplePerArm: number;
  mode: 'fixed' | 'bandit';
  verdict: string;
}

function metricType(metric: MetricDefinition): MetricType {
  return metric.kind === 'conversion' || metric.kind === 'retention' ? 'proportion' : 'mean';
}

function totalsOf(row: ArmMetricRow | undefined): ArmTotals {
  return { n: row?.n ?? 0, sum: row?.sum ?? 0, sumSquares: row?.sumSquares ?? 0 };
}

/** Enough to compute a variance: two people, and not everyone the same. */
function comparable(type: MetricType, totals: ArmTotals): boolean {
  if (totals.n < 2) return false;
  const s = summarise(type, totals);
  return s.variance > 1e-12 && Number.isFinite(s.variance);
}

export function compareMetric(
  experiment: Pick<Experiment, 'arms' | 'engine'>,
  metric: MetricDefinition,
  role: 'primary' | 'guardrail',
  rows: ArmMetricRow[],
): MetricResult {
  const type = metricType(metric);
  const byArm = new Map(rows.map((row) => [row.arm, row]));
  const [control, ...variants] = experiment.arms.map((arm) => arm.id);
  const controlRow = byArm.get(control as string);
  const controlTotals = totalsOf(controlRow);
  const withCovariate = rows.every((row) => row.preSumSquares > 0) && rows.length >= 2;
  const theta = withCovariate
    ? pooledTheta(
        type,
        rows.map((row) => ({
          totals: totalsOf(row),
          covariate: {
            pre: { sum: row.preSum, sumSquares: row.preSumSquares },
            sumProducts: row.sumProducts,
          },
        })),
      )
    : 0;
  const summary = (row: ArmMetricRow | undefined) => {
    const totals = totalsOf(row);
    return theta !== 0 && row
      ? summariseAdjusted(
          type,
          totals,
          { pre: { sum: row.preSum, sumSquares: row.preSumSquares }, sumProducts: row.sumProducts },
          theta,
        )
      : summarise(type, totals);
  };
  const engine = experiment.engine ?? 'frequentist';
  const arms: ArmComparison[] = [
    {
      arm: control as string,
      n: controlTotals.n,
      value: summarise(type, controlTotals).mean,
      effect: null,
      ci: null,
      pValue: null,
      adjustedPValue: null,
      chanceToWin: null,
      note: 'control',
    },
  ];
  for (const armId of variants) {
    const totals = totalsOf(byArm.get(armId));
    const base = { arm: armId, n: totals.n, value: summarise(type, totals).mean };
    if (!comparable(type, controlTotals) || !comparable(type, totals) || controlTotals.sum === 0) {
      arms.push({
        ...base,
        effect: null,
        ci: null,
        pValue: null,
        adjustedPValue: null,
        chanceToWin: null,
        note: 'not enough data',
      });
      continue;
    }
    const a = summary(controlRow);
    const b = summary(byArm.get(armId));
    if (engine === 'bayesian') {
      const r = bayesianEffect(a, b, { difference: 'relative', alpha: ALPHA });
      arms.push({
        ...base,
        effect: r.effect,
        ci: r.ci,
        pValue: null,
        adjustedPValue: null,
        chanceToWin: r.chanceToWin,
        note: null,
      });
    } else {
      const r =
        engine === 'sequential'
          ? sequentialTTest(a, b, { difference: 'relative', alpha: ALPHA, tuning: DEFAULT_SEQUENTIAL_TUNING })
          : welchTTest(a, b, { difference: 'relative', alpha: ALPHA });
      arms.push({
        ...base,
        effect: r.effect,
        ci: r.ci,
        pValue: r.pValue,
        adjustedPValue: null,
        chanceToWin: null,
        note: null,
      });
    }
  }
  return { name: metric.name, kind: metric.kind, role, arms, cuped: theta !== 0 };
}

/** Holm–Bonferroni over every (variant, metric) p-value of the experiment. */
function adjustAll(metrics: MetricResult[]): void {
  const slots = metrics.flatMap((m) => m.arms.filter((a) => a.pValue !== null));
  const adjusted = adjustPValues(
    slots.map((a) => a.pValue as number),
    CORRECTION,
  );
  slots.forEach((a, i) => {
    a.adjustedPValue = adjusted[i] as number;
  });
}

export function holdoutLift(metric: MetricDefinition, rows: ArmMetricRow[]): HoldoutLift | null {
  const held = rows.find((row) => row.arm === 'holdout');
  if (!held) return null;
  const treatedRows = rows.filter((row) => row.arm !== 'holdout');
  const type = metricType(metric);
  const treated: ArmTotals = treatedRows.reduce(
    (t, row) => ({ n: t.n + row.n, sum: t.sum + row.sum, sumSquares: (t.sumSquares ?? 0) + row.sumSquares }),
    { n: 0, sum: 0, sumSquares: 0 } as ArmTotals,
  );
  const heldOut = totalsOf(held);
  const out: HoldoutLift = {
    treated: { n: treated.n, value: summarise(type, treated).mean },
    heldOut: { n: heldOut.n, value: summarise(type, heldOut).mean },
    effect: null,
    ci: null,
    pValue: null,
  };
  if (!comparable(type, treated) || !comparable(type, heldOut) || heldOut.sum === 0) return out;
  const r = welchTTest(summarise(type, heldOut), summarise(type, treated), {
    difference: 'relative',
    alpha: ALPHA,
  });
  return { ...out, effect: r.effect, ci: r.ci, pValue: r.pValue };
}

const percent = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

function armName(experiment: Pick<Experiment, 'arms'>, id: string): string {
  return experiment.arms.find((arm) => arm.id === id)?.name ?? id;
}

type Direction = 'better' | 'worse' | 'unclear' | 'no data';

function direction(arm: ArmComparison): Direction {
  if (arm.effect === null) return 'no data';
  const decisive =
    arm.chanceToWin !== null
      ? arm.chanceToWin > DECISIVE_CHANCE || arm.chanceToWin < 1 - DECISIVE_CHANCE
      : (arm.adjustedPValue ?? arm.pValue ?? 1) < ALPHA;
  if (!decisive) return 'unclear';
  return arm.effect > 0 ? 'better' : 'worse';
}

/** One sentence a marketer can act on: the SRM first, then the primary metric, then guardrails. */
export function verdict(
  experiment: Pick<Experiment, 'arms' | 'minPeoplePerArm' | 'mode'>,
  srm: SrmResult,
  metrics: MetricResult[],
): string {
  // A bandit moves its weights on purpose: the counts cannot be held to them.
  if (srm.mismatch && experiment.mode !== 'bandit') {
    return `The split is broken (sample-ratio mismatch, p = ${srm.pValue.toPrecision(2)}): the arms did not get the share of people their weights promise, so assignment or counting is wrong somewhere. Fix it before reading any result.`;
  }
  const primary = metrics.find((m) => m.role === 'primary');
  if (!primary) return 'No metric defined.';
  const minimum = experiment.minPeoplePerArm ?? DEFAULT_MIN_PEOPLE_PER_ARM;
  const short = primary.arms.filter((arm) => arm.n < minimum);
  if (short.length > 0) {
    const counts = short.map((arm) => `${armName(experiment, arm.arm)} has ${arm.n}`).join(', ');
    return `Not enough data yet: no winner is called before every arm has ${minimum} people (${counts}). Early differences this small swing by chance.`;
  }
  const variants = primary.arms.slice(1);
  if (variants.every((arm) => direction(arm) === 'no data')) return 'Not enough data yet.';
  const parts: string[] = [];
  for (const arm of variants) {
    const d = direction(arm);
    const name = armName(experiment, arm.arm);
    if (d === 'better') parts.push(`${name} wins on ${primary.name} (${percent(arm.effect as number)})`);
    else if (d === 'worse') parts.push(`${name} loses on ${primary.name} (${percent(arm.effect as number)})`);
    else if (d === 'unclear') parts.push(`no clear difference yet for ${name} on ${primary.name}`);
    else parts.push(`not enough data yet for ${name}`);
  }
  for (const guardrail of metrics.filter((m) => m.role === 'guardrail')) {
    const worse = guardrail.arms
      .slice(1)
      .filter((arm) => direction(arm) !== 'unclear' && direction(arm) !== 'no data');
    parts.push(
      worse.length === 0
        ? `guardrail ${guardrail.name} unchanged`
        : `guardrail ${guardrail.name} moved for ${worse.map((a) => armName(experiment, a.arm)).join(', ')}`,
    );
  }
  const sentence = parts.join(', ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

export function experimentResults(
  experiment: Experiment,
  rowsByMetric: { metric: MetricDefinition; role: 'primary' | 'guardrail'; rows: ArmMetricRow[] }[],
): ExperimentResults {
  const metrics = rowsByMetric.map(({ metric, role, rows }) => compareMetric(experiment, metric, role, rows));
  if ((experiment.engine ?? 'frequentist') !== 'bayesian') adjustAll(metrics);
  // Exposures per arm are the same for every metric: count them from the primary's rows.
  const primaryRows = rowsByMetric[0]?.rows ?? [];
  const counts = Object.fromEntries(
    experiment.arms.map((arm) => [arm.id, primaryRows.find((r) => r.arm === arm.id)?.n ?? 0]),
  );
  const srm = sampleRatioMismatch(
    experiment.arms.map((arm) => counts[arm.id] ?? 0),
    experiment.arms.map((arm) => arm.weight),
  );
  const primary = rowsByMetric[0];
  return {
    experimentId: experiment.id,
    engine: experiment.engine ?? 'frequentist',
    alpha: ALPHA,
    correction: CORRECTION,
    srm: { ...srm, counts },
    metrics,
    journeyHoldout: primary ? holdoutLift(primary.metric, primary.rows) : null,
    minPeoplePerArm: experiment.minPeoplePerArm ?? DEFAULT_MIN_PEOPLE_PER_ARM,
    mode: experiment.mode ?? 'fixed',
    verdict: verdict(experiment, srm, metrics),
  };
}
