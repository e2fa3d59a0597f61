// Response curves recover the parameters planted in a simulated marketing mix, and the budget
// split follows the curves.
import { describe, expect, it } from 'vitest';
import {
  allocateBudget,
  fitResponseCurves,
  marginalReturn,
  portfolioPlan,
  steadyResponse,
} from '../../src/attribution/index.ts';
import { weeklyHistory } from '../../src/attribution/portfolio-data.ts';
import { simulateMarketingMix } from '../../src/simulate/marketing-mix.ts';

const PLANTED = [
  { name: 'search', decay: 0.2, beta: 900, kappa: 400, meanSpend: 500 },
  { name: 'social', decay: 0.5, beta: 600, kappa: 500, meanSpend: 300 },
  { name: 'tv', decay: 0.4, beta: 1500, kappa: 2500, meanSpend: 1200 },
];

describe('the budget as a portfolio', () => {
  const history = simulateMarketingMix({ weeks: 156, channels: PLANTED, baseline: 2000, noise: 40, seed: 5 });
  const fit = fitResponseCurves(history, { bootstrap: 30, seed: 2 });

  it('recovers the planted adstock and saturation of every channel', () => {
    expect(fit.rSquared).toBeGreaterThan(0.9);
    expect(fit.baseline).toBeGreaterThan(1700);
    expect(fit.baseline).toBeLessThan(2300);
    for (const planted of PLANTED) {
      const curve = fit.curves[planted.name]!;
      expect(Math.abs(curve.decay - planted.decay)).toBeLessThan(0.1);
      // The steady response at the planted mean spend (what the plan uses) within 10%.
      const truth = steadyResponse(planted, planted.meanSpend);
      expect(Math.abs(steadyResponse(curve, planted.meanSpend) - truth) / truth).toBeLessThan(0.1);
      // The bootstrap interval of the decay holds the planted value (widened by the tolerance).
      const [low, high] = fit.intervals[planted.name]!.decay;
      expect(planted.decay).toBeGreaterThan(low - 0.05);
      expect(planted.decay).toBeLessThan(high + 0.05);
    }
  });

  it('the suggested split equalises marginal returns and gains on the planted truth', () => {
    const current = { search: 500, social: 300, tv: 1200 };
    const plan = portfolioPlan(fit, current);
    expect(plan.budget).toBe(2000);
    const suggested = Object.fromEntries(plan.channels.map((row) => [row.channel, row.suggestedSpend]));
    expect(Object.values(suggested).reduce((sum, x) => sum + x, 0)).toBeCloseTo(2000, 3);
    const funded = plan.channels.filter((row) => row.suggestedSpend > 1);
    const marginals = funded.map((row) => marginalReturn(fit.curves[row.channel]!, row.suggestedSpend));
    for (const value of marginals) expect(value).toBeCloseTo(marginals[0]!, 4);
    expect(plan.expectedGain).toBeGreaterThan(0);
    expect(plan.gainInterval[0]).toBeLessThanOrEqual(plan.expectedGain);
    expect(plan.gainInterval[1]).toBeGreaterThanOrEqual(plan.expectedGain);
    // Under the planted curves the suggested split earns more than the current one, by about
    // what the fit expects.
    const truth = Object.fromEntries(PLANTED.map((channel) => [channel.name, channel]));
    const earn = (split: Record<string, number>) =>
      PLANTED.reduce(
        (sum, channel) => sum + steadyResponse(truth[channel.name]!, split[channel.name] ?? 0),
        0,
      );
    const trueGain = earn(suggested) - earn(current);
    expect(trueGain).toBeGreaterThan(0);
    expect(Math.abs(trueGain - plan.expectedGain)).toBeLessThan(Math.max(0.35 * trueGain, 25));
    // The best split of the planted curves themselves earns at most a little more.
    const best = earn(allocateBudget(truth, 2000));
    expect(best - earn(suggested)).toBeLessThan(0.05 * trueGain + 5);
  });

  it('refuses a history it cannot fit, saying why', () => {
    expect(() => fitResponseCurves({ spend: { a: [1, 2] }, outcome: [1, 2] })).toThrow(/too few/);
    expect(() => fitResponseCurves({ spend: { a: Array(20).fill(-1) }, outcome: Array(20).fill(1) })).toThrow(
      /negative/,
    );
  });

  it('sums days into weeks and drops the weeks before tracking began', () => {
    const start = Date.parse('2026-01-05T00:00:00Z');
    const history = weeklyHistory(
      start,
      start + 4 * 7 * 86_400_000 + 3 * 86_400_000,
      [
        { day: '2026-01-20', channel: 'search', campaign: '', amount: 10, currency: 'EUR' },
        { day: '2026-01-21', channel: 'search', campaign: 'x', amount: 5, currency: 'EUR' },
        { day: '2026-01-27', channel: 'tv', campaign: '', amount: 7, currency: 'EUR' },
      ],
      [
        { day: '2026-01-22', revenue: 100 },
        { day: '2026-01-31', revenue: 50 },
        { day: '2026-02-03', revenue: 999 }, // the partial fifth week
      ],
    );
    expect(history).toEqual({
      spend: { search: [15, 0], tv: [0, 7] },
      outcome: [100, 50],
      weekStarts: ['2026-01-19', '2026-01-26'],
    });
  });
});
