// The columnar value score must give exactly what the straightforward one (an object per
// dimension per customer, kept here as the reference) gives: scores, ranks, contributions and
// explanations.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CustomerValues,
  type Normalisation,
  ordinal,
  scoreValue,
  type ValueDimension,
} from '../../src/value/value-model.ts';

describe('columnar value score', () => {
  const names = ['clv', 'advocacy', 'feedback', 'loyalty'];
  const dimensionsArbitrary = fc
    .tuple(
      ...names.map(() =>
        fc.record({
          weight: fc.constantFrom(0, 0.1, 0.2, 0.4, 1, 3),
          normalise: fc.constantFrom<Normalisation>('rank', 'zscore'),
        }),
      ),
    )
    .filter((dimensions) => dimensions.some((dimension) => dimension.weight > 0))
    .map((dimensions) => dimensions.map((dimension, d) => ({ name: names[d]!, ...dimension })));
  const value = fc.oneof(
    fc.integer({ min: 0, max: 3 }),
    fc.double({ min: 0, max: 500, noNaN: true }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, undefined),
  );
  const customersArbitrary = fc.array(
    fc.record({
      id: fc.integer({ min: 0, max: 40 }),
      clv: value,
      advocacy: value,
      feedback: value,
      loyalty: value,
    }),
    { maxLength: 60 },
  );

  it('gives the same scores, ranks, contributions and explanations as the straightforward version', () => {
    fc.assert(
      fc.property(customersArbitrary, dimensionsArbitrary, (rows, dimensions) => {
        const customers: CustomerValues[] = rows.map(({ id, ...values }, i) => ({
          profileId: `p${id}-${i}`,
          values,
        }));
        const expected = referenceScoreValue(customers, dimensions);
        const ours = scoreValue(customers, dimensions);
        expect(ours.map((score) => JSON.parse(JSON.stringify(score)))).toEqual(
          JSON.parse(JSON.stringify(expected)),
        );
      }),
      { numRuns: 300 },
    );
  });
});

/** The value score as first written: one object per dimension per customer. */
function referenceScoreValue(customers: readonly CustomerValues[], dimensions: readonly ValueDimension[]) {
  const totalWeight = dimensions.reduce((sum, dimension) => sum + dimension.weight, 0);
  const normalised = dimensions.map((dimension) =>
    normaliseColumn(
      customers.map((customer) => finiteOrZero(customer.values[dimension.name])),
      dimension.normalise,
    ),
  );
  const scored = customers.map((customer, i) => {
    const points = dimensions.map((dimension, d) => (dimension.weight / totalWeight) * normalised[d]![i]!);
    const score = points.reduce((sum, value) => sum + value, 0);
    const contributions = dimensions.map((dimension, d) => ({
      dimension: dimension.name,
      normalised: normalised[d]![i]!,
      points: points[d]!,
      share: score > 0 ? points[d]! / score : 0,
    }));
    return { profileId: customer.profileId, score, rank: 0, contributions, explanation: '' };
  });
  const ordered = [...scored].sort(
    (left, right) =>
      right.score - left.score ||
      (left.profileId < right.profileId ? -1 : left.profileId > right.profileId ? 1 : 0),
  );
  const of = ordered.length.toLocaleString('en');
  ordered.forEach((customer, index) => {
    customer.rank = index + 1;
    const head = `ranked ${ordinal(customer.rank)} of ${of}`;
    customer.explanation =
      customer.score <= 0
        ? `${head}: no dimension above the lowest`
        : `${head}: ${[...customer.contributions]
            .filter((contribution) => contribution.share > 0)
            .sort((left, right) => right.share - left.share)
            .map((contribution) => `${contribution.dimension} ${Math.round(contribution.share * 100)}%`)
            .join(', ')}`;
  });
  return scored;
}

function finiteOrZero(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) ? value : 0;
}

function normaliseColumn(values: readonly number[], method: Normalisation): number[] {
  if (values.length === 0) return [];
  const first = values[0]!;
  if (values.every((value) => value === first)) return values.map(() => 0);
  if (method === 'rank') {
    // The share of the others strictly below, counted directly.
    return values.map((value) => values.filter((other) => other < value).length / (values.length - 1));
  }
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  const sd = Math.sqrt(variance);
  return values.map((value) => standardNormalCdf((value - mean) / sd));
}

function standardNormalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const polynomial =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = polynomial * Math.exp(-x * x);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}
