// "My own persona" against planted customers: a hundred people whose orders run 0 to 99 and
// revenue 10 per order; a marketer who orders 95 times sits above 95% of them, a description at
// the customers' middle is nearer the typical customer than most, an extreme one farther than all.
import { describe, expect, it } from 'vitest';
import { compareSelf } from '../../src/audit/self.ts';
import type { People } from '../../src/personas/index.ts';

const people: People = {
  ids: Array.from({ length: 100 }, (_, i) => `p${i}`),
  features: [
    { name: 'orders', label: 'orders', log: true },
    { name: 'revenue', label: 'revenue', log: true },
  ],
  rows: Array.from({ length: 100 }, (_, i) => [i, 10 * i]),
};

describe('my own persona', () => {
  it('places each of your values among the customers', () => {
    const you = compareSelf(people, { orders: 95, revenue: 950 });
    expect(you.people).toBe(100);
    const orders = you.features.find((f) => f.name === 'orders')!;
    expect(orders).toMatchObject({ yours: 95, median: 49.5, below: 0.95, equal: 0.01 });
    expect(orders.sd).toBeGreaterThan(0);
  });

  it('says how far you are from the typical customer, against the customers themselves', () => {
    const typical = compareSelf(people, { orders: 60, revenue: 600 });
    const extreme = compareSelf(people, { orders: 100_000, revenue: 1_000_000 });
    expect(typical.fartherThan).toBeLessThan(0.5);
    expect(extreme.fartherThan).toBe(1);
    expect(extreme.distance).toBeGreaterThan(typical.distance);
    // A value left out is taken as the customers' median.
    expect(compareSelf(people, {}).features[0]!.yours).toBe(49.5);
  });
});
