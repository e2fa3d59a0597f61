import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averageRanks, lowestRanks } from '../../src/value/ranks.ts';

/** Average ranks the obvious way: the mean 1-based position of each value in sorted order. */
function referenceRanks(values: readonly number[]): number[] {
  const sorted = [...values].sort((left, right) => left - right);
  return values.map((value) => {
    const first = sorted.indexOf(value);
    const count = sorted.filter((other) => other === value).length;
    return first + (count + 1) / 2;
  });
}

describe('averageRanks', () => {
  it('gives tied values the mean of their positions, for any finite values', () => {
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(0, -0, 1e-310, -1e-310, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1, 0.30000000000000004),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), (values) => {
        expect(Array.from(averageRanks(values))).toEqual(referenceRanks(values));
        expect(Array.from(averageRanks(Float64Array.from(values)))).toEqual(referenceRanks(values));
      }),
      { numRuns: 500 },
    );
  });

  it('ranks a small example', () => {
    expect(Array.from(averageRanks([10, 20, 20, 40, -5]))).toEqual([2, 3.5, 3.5, 5, 1]);
    expect(Array.from(averageRanks([]))).toEqual([]);
  });
});

describe('lowestRanks', () => {
  it('gives tied values the lowest of their positions: 1 + the count strictly below', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 100 }), (values) => {
        const expected = values.map((value) => 1 + values.filter((other) => other < value).length);
        expect(Array.from(lowestRanks(values))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
    expect(Array.from(lowestRanks([10, 20, 20, 40, -5]))).toEqual([2, 3, 3, 5, 1]);
  });
});
