// Association rules against the arules package's published results on its Groceries data
// (9,835 baskets, 169 items), and against a brute-force enumeration on random small baskets.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mineRules, parseBaskets, type Rule } from '../../src/recommendations/index.ts';
import { GROCERIES, groceriesSkipReason } from './groceries.ts';

const skipReason = groceriesSkipReason();
const groceries = () => parseBaskets(readFileSync(GROCERIES!, 'utf8')).baskets;
const brief = (rule: Rule) => ({
  lhs: rule.lhs,
  rhs: rule.rhs,
  support: Number(rule.support.toFixed(9)),
  confidence: Number(rule.confidence.toFixed(7)),
  lift: Number(rule.lift.toFixed(5)),
});

describe.skipIf(skipReason !== undefined)('mineRules on the groceries data (arules figures)', () => {
  const baskets = skipReason ? [] : groceries();

  it('reads 9,835 baskets of 169 items, whole milk in 2,513 of them', () => {
    expect(baskets).toHaveLength(9835);
    expect(new Set(baskets.flat()).size).toBe(169);
    expect(baskets.filter((basket) => basket.includes('whole milk'))).toHaveLength(2513);
  });

  it('support 0.001, confidence 0.5: the 5,668 rules of the arulesViz vignette, top three by lift', () => {
    const result = mineRules(baskets, { minSupport: 0.001, minConfidence: 0.5, minLength: 1 });
    expect(result).toMatchObject({ baskets: 9835, items: 169, count: 5668 });
    expect(result.rules.slice(0, 3).map(brief)).toEqual([
      {
        lhs: ['Instant food products', 'soda'],
        rhs: ['hamburger meat'],
        support: 0.001220132,
        confidence: 0.6315789,
        lift: 18.99565,
      },
      {
        lhs: ['popcorn', 'soda'],
        rhs: ['salty snack'],
        support: 0.001220132,
        confidence: 0.6315789,
        lift: 16.69779,
      },
      {
        lhs: ['baking powder', 'flour'],
        rhs: ['sugar'],
        support: 0.001016777,
        confidence: 0.5555556,
        lift: 16.40807,
      },
    ]);
  });

  it('support 0.001, confidence 0.8: 410 rules, {liquor, red/blush wine} => {bottled beer} first', () => {
    const result = mineRules(baskets, { minSupport: 0.001, minConfidence: 0.8 });
    expect(result.count).toBe(410);
    expect(brief(result.rules[0]!)).toEqual({
      lhs: ['liquor', 'red/blush wine'],
      rhs: ['bottled beer'],
      support: 0.001931876,
      confidence: 0.9047619,
      lift: 11.23527,
    });
    expect(result.rules[0]!.count).toBe(19);
  });

  it('support 0.006, confidence 0.25, minlen 2: the 463 rules of Machine Learning with R, herbs => root vegetables first', () => {
    const result = mineRules(baskets, { minSupport: 0.006, minConfidence: 0.25, minLength: 2 });
    expect(result.count).toBe(463);
    expect(result.rules.slice(0, 2).map(brief)).toEqual([
      { lhs: ['herbs'], rhs: ['root vegetables'], support: 0.00701576, confidence: 0.43125, lift: 3.95648 },
      {
        lhs: ['berries'],
        rhs: ['whipped/sour cream'],
        support: 0.009049314,
        confidence: 0.2721713,
        lift: 3.79689,
      },
    ]);
    // minlen 1 adds {} => {whole milk}: its support 0.2555 is over the 0.25 confidence.
    const withEmpty = mineRules(baskets, { minSupport: 0.006, minConfidence: 0.25, minLength: 1 });
    expect(withEmpty.count).toBe(464);
    expect(withEmpty.rules.find((rule) => rule.lhs.length === 0)).toMatchObject({
      rhs: ['whole milk'],
      lift: 1,
    });
  });
});

/** Every itemset of every basket, counted; then every one-item-rhs rule that passes. */
function bruteForce(baskets: string[][], minSupport: number, minConfidence: number, minLength: number) {
  const counts = new Map<string, number>();
  for (const basket of baskets) {
    const items = [...basket].sort();
    for (let mask = 1; mask < 1 << items.length; mask++) {
      const key = items.filter((_, i) => mask & (1 << i)).join('|');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const n = baskets.length;
  const rules: string[] = [];
  for (const [key, count] of counts) {
    if (count / n < minSupport) continue;
    const items = key.split('|');
    if (items.length < minLength) continue;
    for (const rhs of items) {
      const lhs = items.filter((item) => item !== rhs);
      const confidence = count / (lhs.length === 0 ? n : counts.get(lhs.join('|'))!);
      if (confidence >= minConfidence) rules.push(`${lhs.join('|')}=>${rhs}:${count}`);
    }
  }
  return rules.sort();
}

describe('mineRules against brute force', () => {
  it('finds exactly the rules enumeration finds, with their counts', () => {
    const basket = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(
        fc.array(basket, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(0.05, 0.1, 0.2, 0.3),
        fc.constantFrom(0, 0.3, 0.5, 0.8, 1),
        fc.constantFrom(1, 2, 3),
        (baskets, minSupport, minConfidence, minLength) => {
          const result = mineRules(baskets, { minSupport, minConfidence, minLength });
          const found = result.rules
            .map((rule) => `${rule.lhs.join('|')}=>${rule.rhs[0]}:${rule.count}`)
            .sort();
          expect(found).toEqual(bruteForce(baskets, minSupport, minConfidence, minLength));
          for (let i = 1; i < result.rules.length; i++) {
            expect(result.rules[i - 1]!.lift).toBeGreaterThanOrEqual(result.rules[i]!.lift);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stops at the maximum length and refuses impossible options', () => {
    const baskets = [
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b'],
    ];
    const short = mineRules(baskets, { minSupport: 0.5, minConfidence: 0.5, maxLength: 2 });
    expect(short.rules.every((rule) => rule.lhs.length + rule.rhs.length <= 2)).toBe(true);
    expect(short.count).toBe(6);
    expect(() => mineRules(baskets, { minSupport: 0, minConfidence: 0.5 })).toThrow(/support/);
    expect(() => mineRules(baskets, { minSupport: 0.1, minConfidence: 1.5 })).toThrow(/confidence/);
    expect(() => mineRules(baskets, { minSupport: 0.1, minConfidence: 0.5, minLength: 0 })).toThrow(/length/);
    expect(mineRules([], { minSupport: 0.1, minConfidence: 0.5 })).toEqual({
      baskets: 0,
      items: 0,
      count: 0,
      rules: [],
    });
  });
});
