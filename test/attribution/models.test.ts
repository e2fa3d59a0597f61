// The attribution models against published worked examples and hand-counted cases.
import { Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  type AttributionPath,
  conversionProbability,
  countTransitions,
  firstTouch,
  lastTouch,
  linear,
  markov,
  positionBased,
  shapley,
  timeDecay,
} from '../../src/attribution/index.ts';

const path = (text: string, conversions: number, nulls = 0, value = 0): AttributionPath => ({
  channels: text.split('>').map((channel) => channel.trim()),
  conversions,
  nulls,
  value,
});

const conversionsOf = (channels: Record<string, { conversions: number }>) =>
  Object.fromEntries(
    Object.entries(channels).map(([name, credit]) => [name, Number(credit.conversions.toFixed(6))]),
  );

describe('Markov removal effect', () => {
  // Anderl et al.'s removal effect on the three-path example of Sergey Bryl's "Marketing
  // Multi-Channel Attribution model with R" (analyzecore, 2016), whose published numbers are
  // P(conversion) = 1/3, P without C1 = 1/6, removal effects 0.5, 1, 1 and weights 0.2, 0.4, 0.4.
  const bryl = [path('C1 > C2 > C3', 1, 0, 1000), path('C1', 0, 1), path('C2 > C3', 0, 1)];

  it('reproduces the published first-order example with null paths', () => {
    const result = markov(bryl, { withNulls: true });
    expect(result.conversionProbability).toBeCloseTo(1 / 3, 12);
    expect(result.removalEffects.C1).toBeCloseTo(0.5, 12);
    expect(result.removalEffects.C2).toBeCloseTo(1, 12);
    expect(result.removalEffects.C3).toBeCloseTo(1, 12);
    expect(conversionsOf(result.channels)).toEqual({ C1: 0.2, C2: 0.4, C3: 0.4 });
    expect(result.channels.C2!.value).toBeCloseTo(400, 9);
  });

  it('reproduces the ChannelAttribution-style example without nulls (A 2, B 1; the package simulates 1.99, 1.01)', () => {
    // The example of pychattr's documentation (a port of ChannelAttribution): three
    // converting paths, no null column; its simulated answer is A 1.991106, B 1.008894.
    const paths = [path('A > B > A > B > B > A', 1), path('A > B > B > A > A', 1), path('A > A', 1)];
    const result = markov(paths);
    expect(result.conversionProbability).toBeCloseTo(1, 12);
    expect(result.removalEffects.A).toBeCloseTo(1, 12);
    expect(result.removalEffects.B).toBeCloseTo(0.5, 12);
    expect(conversionsOf(result.channels)).toEqual({ A: 2, B: 1 });
    expect(Math.abs(result.channels.A!.conversions - 1.991106)).toBeLessThan(0.01);
  });

  it('a higher order remembers where people came from (hand-counted)', () => {
    // a → c converts, b → c does not. Order 1 sees one state c with P(conversion) ½ and
    // credits b; order 2 has states (a, c) and (b, c) and sees that b never led anywhere.
    const paths = [path('a > c', 1, 0), path('b > c', 0, 1)];
    expect(conversionsOf(markov(paths, { order: 1, withNulls: true }).channels)).toEqual({
      a: 0.25,
      b: 0.25,
      c: 0.5,
    });
    const second = markov(paths, { order: 2, withNulls: true });
    expect(second.removalEffects).toEqual({ a: 1, b: 0, c: 1 });
    expect(conversionsOf(second.channels)).toEqual({ a: 0.5, b: 0, c: 0.5 });
    expect(second.states).toBe(3 + 4);
  });

  it('without nulls, non-converting paths are ignored', () => {
    const paths = [path('a > c', 1, 0), path('b > c', 0, 5)];
    expect(conversionsOf(markov(paths).channels)).toEqual({ a: 0.5, b: 0, c: 0.5 });
  });

  it('the iterative solve agrees with a dense linear solve for orders 1 to 4 (random paths with cycles)', () => {
    const names = ['email', 'search', 'social', 'display', 'sms'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const paths: AttributionPath[] = Array.from({ length: 300 }, () => {
      const length = 1 + Math.floor(next() * 6);
      const channels = Array.from({ length }, () => names[Math.floor(next() * names.length)]!);
      return { channels, conversions: Math.floor(next() * 3), nulls: Math.floor(next() * 4), value: 0 };
    });
    for (const order of [1, 2, 3, 4]) {
      const chain = countTransitions(paths, order, true);
      for (const removed of [-1, 0, 2]) {
        expect(conversionProbability(chain, removed)).toBeCloseTo(denseSolve(chain, removed), 10);
      }
    }
  });

  it('credit adds up to the conversions and value; the order is checked', () => {
    const paths = [path('a > b', 3, 2, 30), path('b', 1, 4, 5), path('c > a > b', 2, 1, 40)];
    for (const order of [1, 2, 3, 4]) {
      const result = markov(paths, { order, withNulls: true });
      const credits = Object.values(result.channels);
      expect(credits.reduce((sum, credit) => sum + credit.conversions, 0)).toBeCloseTo(6, 9);
      expect(credits.reduce((sum, credit) => sum + credit.value, 0)).toBeCloseTo(75, 9);
    }
    expect(() => markov(paths, { order: 5 })).toThrow(/order must be an integer from 1 to 4/);
  });
});

/** P(conversion from start) by solving (I − Q) x = r densely: an independent check. */
function denseSolve(chain: ReturnType<typeof countTransitions>, removed: number): number {
  const transient = Array.from({ length: chain.states }, (_, state) => state).filter(
    (state) => state !== 1 && state !== 2,
  );
  const at = new Map(transient.map((state, index) => [state, index]));
  const a = Matrix.eye(transient.length);
  const b = new Matrix(transient.length, 1);
  for (const state of transient) {
    const row = at.get(state)!;
    if (removed >= 0 && chain.lastChannel[state] === removed) continue;
    let total = 0;
    for (let k = chain.rowStart[state]!; k < chain.rowStart[state + 1]!; k += 1) total += chain.count[k]!;
    if (total === 0) continue;
    for (let k = chain.rowStart[state]!; k < chain.rowStart[state + 1]!; k += 1) {
      const to = chain.target[k]!;
      const p = chain.count[k]! / total;
      if (to === 1) b.set(row, 0, b.get(row, 0) + p);
      else if (to !== 2) a.set(row, at.get(to)!, a.get(row, at.get(to)!) - p);
    }
  }
  return solve(a, b).get(at.get(0)!, 0);
}

describe('Shapley values', () => {
  // The worked example of "Data-driven marketing attribution" (Towards Data Science): 100
  // conversions by channel set (Facebook, Organic, LinkedIn); its published Shapley values are
  // F 0.455, O 0.205, L 0.34 of the conversions.
  const sets: [string, number][] = [
    ['F', 20],
    ['O', 10],
    ['L', 17],
    ['F > O', 17],
    ['F > L', 30],
    ['L > O', 0],
    ['F > L > O', 6],
  ];
  const paths = sets.map(([channels, conversions]) => path(channels, conversions, 0, conversions * 10));

  it('reproduces the published example exactly', () => {
    const result = shapley(paths);
    expect(result.method).toBe('exact');
    expect(conversionsOf(result.channels)).toEqual({ F: 45.5, L: 34, O: 20.5 });
    expect(result.channels.F!.value).toBeCloseTo(455, 9);
  });

  it('with nulls, a channel that reaches many people who do not convert earns less', () => {
    const withNulls = [path('a', 10, 10), path('b', 10, 90), path('a > b', 10, 40)];
    const result = shapley(withNulls, { withNulls: true });
    // Worths (conversion rates): v(a) = 10/20, v(b) = 10/100, v(ab) = 30/170.
    const va = 0.5;
    const vb = 0.1;
    const vab = 30 / 170;
    const phiA = (va + (vab - vb)) / 2;
    const phiB = (vb + (vab - va)) / 2;
    expect(result.channels.a!.conversions).toBeCloseTo((30 * phiA) / vab, 9);
    expect(result.channels.b!.conversions).toBeCloseTo((30 * phiB) / vab, 9);
    expect(result.channels.b!.conversions).toBeLessThan(0);
  });

  it('sampling beyond the exact limit lands within its standard error of the exact values', () => {
    const names = 'abcdefghij'.split('');
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const many: AttributionPath[] = Array.from({ length: 400 }, () => {
      const length = 1 + Math.floor(next() * 4);
      const channels = Array.from({ length }, () => names[Math.floor(next() * names.length)]!);
      return { channels, conversions: Math.floor(next() * 4), nulls: Math.floor(next() * 6), value: 0 };
    });
    for (const withNulls of [false, true]) {
      const exact = shapley(many, { withNulls });
      const sampled = shapley(many, { withNulls, exactMaxChannels: 5, permutations: 3000, seed: 3 });
      expect(sampled.method).toBe('sampled');
      for (const name of names) {
        const error = sampled.standardErrors![name]!.conversions;
        expect(error).toBeGreaterThan(0);
        expect(
          Math.abs(sampled.channels[name]!.conversions - exact.channels[name]!.conversions),
        ).toBeLessThan(4 * error + 1e-9);
      }
    }
  });
});

describe('rule-based models', () => {
  const paths = [path('a > b > c > d', 2, 5, 100), path('b', 1, 0, 10), path('c > a', 0, 3)];

  it('first and last touch', () => {
    const none = { conversions: 0, value: 0 };
    expect(firstTouch(paths).channels).toEqual({
      a: { conversions: 2, value: 100 },
      b: { conversions: 1, value: 10 },
      c: none,
      d: none,
    });
    expect(lastTouch(paths).channels).toEqual({
      a: none,
      b: { conversions: 1, value: 10 },
      c: none,
      d: { conversions: 2, value: 100 },
    });
  });

  it('linear splits evenly among touches', () => {
    expect(conversionsOf(linear(paths).channels)).toEqual({ a: 0.5, b: 1.5, c: 0.5, d: 0.5 });
  });

  it('position-based gives 40/20/40', () => {
    expect(conversionsOf(positionBased(paths).channels)).toEqual({ a: 0.8, b: 1.2, c: 0.2, d: 0.8 });
    expect(conversionsOf(positionBased([path('x > y', 1)]).channels)).toEqual({ x: 0.5, y: 0.5 });
  });

  it('time decay halves a touch per half-life, by age in days when the path has them', () => {
    const byStep = timeDecay([path('a > b', 3)], 1);
    expect(conversionsOf(byStep.channels)).toEqual({ a: 1, b: 2 });
    const byDays = timeDecay([{ ...path('a > b > c', 7), ages: [14, 7, 0] }], 7);
    expect(conversionsOf(byDays.channels)).toEqual({ a: 1, b: 2, c: 4 });
  });
});
