// Next best products from pair rules: strongest rule per candidate, never owned or excluded,
// only pairs over chance and significant.
import { describe, expect, it } from 'vitest';
import { inHoldout, mineRules, nextBest, pairRulesByItem } from '../../src/recommendations/index.ts';

const baskets = [
  ...Array.from({ length: 20 }, () => ['printer', 'ink', 'paper']),
  ...Array.from({ length: 10 }, () => ['printer', 'ink']),
  ...Array.from({ length: 30 }, () => ['mug']),
  ...Array.from({ length: 5 }, () => ['mug', 'paper']),
];
const rules = mineRules(baskets, { minSupport: 0.01, minConfidence: 0.01, maxLength: 2 }).rules;

describe('nextBest', () => {
  it('suggests what goes with what a person owns, strongest first, with the reason', () => {
    const byItem = pairRulesByItem(rules);
    expect(nextBest(new Set(['printer']), byItem, { limit: 5 })).toEqual([
      { product: 'ink', because: 'printer', lift: 65 / 30, confidence: 1 },
      { product: 'paper', because: 'printer', lift: 20 / 30 / (25 / 65), confidence: 20 / 30 },
    ]);
  });

  it('leaves out what the person owns, what is excluded, and cuts at the limit', () => {
    const byItem = pairRulesByItem(rules);
    expect(nextBest(new Set(['printer', 'ink']), byItem, { limit: 5 }).map((s) => s.product)).toEqual([
      'paper',
    ]);
    expect(
      nextBest(new Set(['printer']), byItem, { limit: 5, exclude: new Set(['ink']) }).map((s) => s.product),
    ).toEqual(['paper']);
    expect(nextBest(new Set(['printer']), byItem, { limit: 1 })).toHaveLength(1);
  });

  it('ignores pairs under chance (mug and paper: lift < 1) and under the significance threshold', () => {
    const byItem = pairRulesByItem(rules);
    expect(nextBest(new Set(['mug']), byItem, { limit: 5 })).toEqual([]);
    const strict = pairRulesByItem(rules, 1e6);
    expect(nextBest(new Set(['printer']), strict, { limit: 5 })).toEqual([]);
  });
});

describe('inHoldout', () => {
  it('is stable per person and holds out about the share', () => {
    expect(inHoldout('p1', 0.3)).toBe(inHoldout('p1', 0.3));
    const held = Array.from({ length: 10_000 }, (_, i) => inHoldout(`person-${i}`, 0.1)).filter(
      Boolean,
    ).length;
    expect(held).toBeGreaterThan(900);
    expect(held).toBeLessThan(1100);
    expect(inHoldout('p1', 0)).toBe(false);
  });
});
