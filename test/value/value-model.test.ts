import { describe, expect, it } from 'vitest';
import { allocateBudget } from '../../src/value/budget.ts';
import {
  normaliseColumn,
  ordinal,
  rankingOf,
  scoreValue,
  type ValueDimension,
} from '../../src/value/value-model.ts';

const dimensions: ValueDimension[] = [
  { name: 'clv', weight: 2, normalise: 'rank' },
  { name: 'advocacy', weight: 1, normalise: 'rank' },
  { name: 'feedback', weight: 1, normalise: 'zscore' },
];

describe('value model', () => {
  it('ranks planted high-value customers first and explains each score by its dimensions', () => {
    const customers = Array.from({ length: 100 }, (_, i) => ({
      profileId: `p${String(i).padStart(3, '0')}`,
      values: { clv: i % 10, advocacy: i % 3, feedback: 0 },
    }));
    // Planted: best on every dimension.
    customers.push({ profileId: 'star', values: { clv: 500, advocacy: 9, feedback: 4 } });
    const scores = scoreValue(customers, dimensions);
    const star = scores.find((score) => score.profileId === 'star')!;
    expect(star.rank).toBe(1);
    expect(star.explanation).toMatch(/^ranked 1st of 101: clv \d+%, advocacy \d+%, feedback \d+%$/);
    for (const score of scores) {
      expect(Number.isFinite(score.score)).toBe(true);
      const shares = score.contributions.reduce((sum, c) => sum + c.share, 0);
      if (score.score > 0) expect(shares).toBeCloseTo(1, 12);
    }
    expect(new Set(scores.map((score) => score.rank)).size).toBe(101);
  });

  it('puts a dimension’s weight share into the score: clv weighted 2 of 4 gives half the top score', () => {
    const scores = scoreValue(
      [
        { profileId: 'a', values: { clv: 10, advocacy: 0, feedback: 0 } },
        { profileId: 'b', values: { clv: 0, advocacy: 0, feedback: 0 } },
      ],
      dimensions,
    );
    // advocacy and feedback are equal for both (no evidence): 0 each, whatever their weight.
    expect(scores[0]!.score).toBeCloseTo(0.5, 12);
    expect(scores[1]!.score).toBe(0);
    expect(scores[0]!.explanation).toBe('ranked 1st of 2: clv 100%');
  });

  it('gives everyone 0 on a dimension where all are identical, and a stable order by id', () => {
    const scores = scoreValue(
      ['c', 'a', 'b'].map((profileId) => ({ profileId, values: { clv: 3, advocacy: 1, feedback: 2 } })),
      dimensions,
    );
    expect(scores.map((score) => score.score)).toEqual([0, 0, 0]);
    expect(scores.map((score) => [score.profileId, score.rank])).toEqual([
      ['c', 3],
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('treats missing, NaN and infinite values as 0, never NaN', () => {
    const scores = scoreValue(
      [
        { profileId: 'a', values: { clv: Number.NaN, advocacy: Number.POSITIVE_INFINITY } },
        { profileId: 'b', values: { clv: 1 } },
      ],
      dimensions,
    );
    for (const score of scores) expect(Number.isFinite(score.score)).toBe(true);
    expect(scores[1]!.rank).toBe(1);
  });

  it('refuses weights that sum to zero, negative weights and no dimensions, naming the problem', () => {
    const values = [{ profileId: 'a', values: {} }];
    expect(() =>
      scoreValue(values, [
        { name: 'clv', weight: 0, normalise: 'rank' },
        { name: 'advocacy', weight: 0, normalise: 'rank' },
      ]),
    ).toThrow(/weights sum to zero/);
    expect(() => scoreValue(values, [{ name: 'clv', weight: -1, normalise: 'rank' }])).toThrow(
      /weight of dimension clv/,
    );
    expect(() => scoreValue(values, [])).toThrow(/no dimensions/);
  });

  it('credits no dimension nobody has evidence on, and keeps the many without evidence at 0', () => {
    // The demo's shape (issue #11): nobody reported a bug or published a case study, a few
    // advocated. Before, feedback and reference gave everyone 0.5 and the advocacy zeros took
    // the middle rank: the last-ranked visitor read "clv 31%, advocacy 27%, feedback 17%, …".
    const model = [
      { name: 'clv', weight: 0.4, normalise: 'rank' as const },
      { name: 'advocacy', weight: 0.2, normalise: 'rank' as const },
      { name: 'feedback', weight: 0.2, normalise: 'rank' as const },
      { name: 'reference', weight: 0.2, normalise: 'rank' as const },
    ];
    const people = Array.from({ length: 20 }, (_, i) => ({
      profileId: `p${String(i).padStart(2, '0')}`,
      values: { clv: i < 5 ? 0 : i * 10, advocacy: i >= 17 ? i : 0, feedback: 0, reference: 0 },
    }));
    const scores = scoreValue(people, model);
    for (const score of scores) {
      expect(score.explanation).not.toMatch(/feedback|reference/);
      const byName = Object.fromEntries(score.contributions.map((c) => [c.dimension, c]));
      expect(byName.feedback!.normalised).toBe(0);
      expect(byName.reference!.normalised).toBe(0);
    }
    const anonymous = scores[0]!;
    expect(anonymous.score).toBe(0);
    expect(anonymous.explanation).toMatch(/no dimension above the lowest/);
    // Someone with CLV but no advocacy: advocacy is 0, so CLV is the whole explanation.
    expect(scores[10]!.explanation).toMatch(/: clv 100%$/);
    expect(scores[19]!.explanation).toMatch(/: clv \d+%, advocacy \d+%$/);
  });

  it('normalises by rank to [0, 1] with ties at their lowest rank, and z-scores through the normal CDF', () => {
    expect(normaliseColumn([10, 20, 20, 40], 'rank')).toEqual([0, 1 / 3, 1 / 3, 1]);
    expect(normaliseColumn([0, 0, 0, 5], 'rank')).toEqual([0, 0, 0, 1]);
    expect(normaliseColumn([7, 7, 7], 'zscore')).toEqual([0, 0, 0]);
    const z = normaliseColumn([-1, 0, 1], 'zscore');
    expect(z[1]).toBeCloseTo(0.5, 6);
    // z = ±1.2247 (population sd): Φ ≈ 0.8897
    expect(z[2]).toBeCloseTo(0.8897, 3);
    expect(z[0]! + z[2]!).toBeCloseTo(1, 6);
    expect(normaliseColumn([], 'rank')).toEqual([]);
  });

  it('lists the top and the bottom', () => {
    const scores = scoreValue(
      [1, 5, 3].map((clv, i) => ({ profileId: `p${i}`, values: { clv } })),
      dimensions,
    );
    expect(rankingOf(scores, 'top', 2).map((score) => score.profileId)).toEqual(['p1', 'p2']);
    expect(rankingOf(scores, 'bottom', 1).map((score) => score.profileId)).toEqual(['p0']);
  });

  it('writes English ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 112].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '112th',
    ]);
  });
});

describe('budget allocation', () => {
  const candidates = [
    { profileId: 'safe-rich', value: 100, churnRisk: 0.01 },
    { profileId: 'risky-rich', value: 100, churnRisk: 0.8 },
    { profileId: 'risky-poor', value: 5, churnRisk: 0.9 },
    { profileId: 'mid', value: 40, churnRisk: 0.5 },
    { profileId: 'gone', value: 0, churnRisk: 1 },
  ];

  it('spends on the most value at risk first and stops when the budget is spent', () => {
    const plan = allocateBudget(candidates, { amount: 25, costPerCustomer: 10 });
    expect(plan.chosen.map((choice) => choice.profileId)).toEqual(['risky-rich', 'mid']);
    expect(plan.spent).toBe(20);
    expect(plan.remaining).toBe(5);
    expect(plan.valueAtRiskCovered).toBeCloseTo(80 + 20, 12);
    expect(plan.candidates).toBe(4);
  });

  it('spends on what can still be saved: someone surely gone is never worth it, however high their risk', () => {
    const plan = allocateBudget(
      [
        // Gone for good in all likelihood: churn risk 1 − P(alive) is highest, nothing to save.
        { profileId: 'gone', value: 100, churnRisk: 0.95, pAlive: 0.02 },
        { profileId: 'slipping', value: 60, churnRisk: 0.3, pAlive: 0.9 },
        { profileId: 'loyal', value: 100, churnRisk: 0.01, pAlive: 1 },
      ],
      { amount: 10, costPerCustomer: 10 },
    );
    expect(plan.chosen.map((choice) => choice.profileId)).toEqual(['slipping']);
    expect(plan.chosen[0]!.savable).toBeCloseTo(60 * 0.9 * 0.3 * 0.1, 12);
    expect(plan.effectSource).toBe('prior');
    const measured = allocateBudget([{ profileId: 'a', value: 10, churnRisk: 0.5 }], {
      amount: 1,
      costPerCustomer: 1,
      effect: 0.3,
    });
    expect(measured.savableCovered).toBeCloseTo(1.5, 12);
    expect(measured.effectSource).toBe('measured');
    expect(() => allocateBudget([], { amount: 1, costPerCustomer: 1, effect: 0 })).toThrow(/effect/);
  });

  it('skips a customer who costs more than what is left and takes the next who fits', () => {
    const plan = allocateBudget(
      [
        { profileId: 'a', value: 100, churnRisk: 1, cost: 10 },
        { profileId: 'b', value: 90, churnRisk: 1, cost: 50 },
        { profileId: 'c', value: 10, churnRisk: 1, cost: 5 },
      ],
      { amount: 20, costPerCustomer: 1 },
    );
    expect(plan.chosen.map((choice) => choice.profileId)).toEqual(['a', 'c']);
  });

  it('chooses nobody for a budget of 0 and refuses a cost of 0 or a negative amount', () => {
    expect(allocateBudget(candidates, { amount: 0, costPerCustomer: 10 }).chosen).toEqual([]);
    expect(() => allocateBudget(candidates, { amount: 10, costPerCustomer: 0 })).toThrow(/costPerCustomer/);
    expect(() => allocateBudget(candidates, { amount: -1, costPerCustomer: 1 })).toThrow(/amount/);
  });
});
