// Pure: what a journey caused, measured against its holdout (docs/experiments.md, "Holdouts"):
// the treated arms pooled against the held-out people, the difference in the mean per person
// (conversion rate, or revenue per person) with its Welch 95% interval, scaled to the treated
// people. That is the incremental total: conversions or revenue that would not have happened
// without the journey.
import type { ArmMetricRow } from './sql/metrics.ts';
import { type ArmTotals, type MetricType, summarise } from './stats/aggregates.ts';
import { welchTTest } from './stats/frequentist.ts';

export const INCREMENT_ALPHA = 0.05;

export interface Increment {
  treated: { people: number; total: number };
  heldOut: { people: number; total: number };
  /** (treated mean − held-out mean) × treated people; null without both arms. */
  incremental: number | null;
  /** Its 95% interval; null when there is no variance to estimate one from. */
  interval: [number, number] | null;
}

function pooled(rows: readonly ArmMetricRow[]): ArmTotals {
  return rows.reduce(
    (t, row) => ({ n: t.n + row.n, sum: t.sum + row.sum, sumSquares: (t.sumSquares ?? 0) + row.sumSquares }),
    { n: 0, sum: 0, sumSquares: 0 } as ArmTotals,
  );
}

export function incrementOf(type: MetricType, rows: readonly ArmMetricRow[]): Increment {
  const treated = pooled(rows.filter((row) => row.arm !== 'holdout'));
  const heldOut = pooled(rows.filter((row) => row.arm === 'holdout'));
  const out: Increment = {
    treated: { people: treated.n, total: treated.sum },
    heldOut: { people: heldOut.n, total: heldOut.sum },
    incremental: null,
    interval: null,
  };
  if (treated.n === 0 || heldOut.n === 0) return out;
  const control = summarise(type, heldOut);
  const variant = summarise(type, treated);
  const incremental = (variant.mean - control.mean) * treated.n;
  const enough = treated.n >= 2 && heldOut.n >= 2 && control.variance + variant.variance > 1e-12;
  if (!enough) return { ...out, incremental };
  const test = welchTTest(control, variant, { difference: 'absolute', alpha: INCREMENT_ALPHA });
  return { ...out, incremental, interval: [test.ci[0] * treated.n, test.ci[1] * treated.n] };
}
