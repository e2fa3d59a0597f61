// The verdict in words, from per-arm aggregates alone (no server): no winner is called before
// every arm has its minimum of people, nor while the split is broken (SRM); several variants
// against one control are each named, their p-values adjusted together.
import { describe, expect, it } from 'vitest';
import { type Experiment, experimentResults } from '../../src/experiments/index.ts';

const EXPERIMENT: Experiment = {
  id: 'banner',
  name: 'Banner',
  hypothesis: '',
  owner: '',
  status: 'running',
  attachment: { kind: 'standalone' },
  arms: [
    { id: 'control', name: 'Blue', weight: 1 / 3 },
    { id: 'green', name: 'Green', weight: 1 / 3 },
    { id: 'red', name: 'Red', weight: 1 / 3 },
  ],
  primaryMetric: { name: 'purchases', kind: 'conversion', event: 'Order Completed', windowHours: 72 },
  guardrailMetrics: [],
};

/** A conversion metric's row: n people, `buyers` of them converted. */
const row = (arm: string, n: number, buyers: number) => ({
  arm,
  n,
  sum: buyers,
  sumSquares: buyers,
  preSum: 0,
  preSumSquares: 0,
  sumProducts: 0,
});

const results = (experiment: Experiment, rows: ReturnType<typeof row>[]) =>
  experimentResults(experiment, [{ metric: experiment.primaryMetric, role: 'primary', rows }]);

describe('the verdict', () => {
  it('calls no winner before every arm has the minimum of people, naming the short arms', () => {
    // 50% against 20% is a clear difference (p < 0.01 even adjusted), but on 90 people per arm.
    const arms = [row('control', 90, 18), row('green', 90, 45), row('red', 90, 18)];
    const early = results(EXPERIMENT, arms);
    expect(early.minPeoplePerArm).toBe(100);
    expect(early.verdict).toMatch(
      /^Not enough data yet: no winner is called before every arm has 100 people/,
    );
    expect(early.verdict).toContain('Blue has 90');
    expect(early.verdict).toContain('Green has 90');
    // The numbers are still there for whoever looks.
    expect(early.metrics[0]?.arms[1]?.effect).toBeCloseTo(1.5, 12);
    expect(early.metrics[0]?.arms[1]?.adjustedPValue).toBeLessThan(0.05);
    // With a lower minimum set on the experiment, the same data decide.
    const lower = results({ ...EXPERIMENT, minPeoplePerArm: 50 }, arms);
    expect(lower.verdict).toMatch(/^Green wins on purchases \(\+150\.0%\), no clear difference yet for Red/);
  });

  it('names each of several variants, with the p-values adjusted over all of them', () => {
    const r = results(EXPERIMENT, [
      row('control', 1000, 100),
      row('green', 1000, 150),
      row('red', 1000, 135),
    ]);
    const [, green, red] = r.metrics[0]?.arms ?? [];
    expect(r.correction).toBe('holm-bonferroni');
    // Alone Red would win (p ≈ 0.037); Holm over two comparisons doubles the smaller p-value
    // (Green's) and keeps Red's at least that: Red's stays 0.037, still a win; Green's 0.012.
    expect(red?.pValue).toBeLessThan(0.05);
    expect(green?.adjustedPValue).toBeCloseTo(2 * (green?.pValue as number), 12);
    expect(red?.adjustedPValue).toBeCloseTo(
      Math.max(2 * (green?.pValue as number), red?.pValue as number),
      12,
    );
    expect(r.verdict).toBe('Green wins on purchases (+50.0%), Red wins on purchases (+35.0%).');
    // A third variant with no effect: three comparisons lift Red's p-value above 0.05.
    const three = results(
      {
        ...EXPERIMENT,
        arms: [
          ...EXPERIMENT.arms.map((a) => ({ ...a, weight: 0.25 })),
          { id: 'grey', name: 'Grey', weight: 0.25 },
        ],
      },
      [row('control', 1000, 100), row('green', 1000, 150), row('red', 1000, 135), row('grey', 1000, 101)],
    );
    expect(three.metrics[0]?.arms[2]?.adjustedPValue).toBeGreaterThan(0.05);
    expect(three.verdict).toBe(
      'Green wins on purchases (+50.0%), no clear difference yet for Red on purchases, no clear difference yet for Grey on purchases.',
    );
  });

  it('refuses to read a broken split, saying why in words', () => {
    const r = results(EXPERIMENT, [row('control', 300, 30), row('green', 100, 40), row('red', 300, 30)]);
    expect(r.srm.mismatch).toBe(true);
    expect(r.verdict).toMatch(/^The split is broken \(sample-ratio mismatch/);
    expect(r.verdict).toContain('did not get the share of people their weights promise');
    // A bandit moves its weights on purpose: uneven counts are its work, not a broken split.
    const bandit = results({ ...EXPERIMENT, mode: 'bandit' }, [
      row('control', 300, 30),
      row('green', 1000, 200),
      row('red', 300, 30),
    ]);
    expect(bandit.mode).toBe('bandit');
    expect(bandit.verdict).toMatch(/^Green wins on purchases/);
  });
});
