import { describe, expect, it } from 'vitest';
import { plantSurvey, SURVEY_PLANT } from '../../src/simulate/index.ts';
import {
  netPromoterScore,
  postStratify,
  rake,
  responseGaps,
  shares,
  weightedMean,
} from '../../src/surveys/estimate.ts';

describe('NPS and means with intervals', () => {
  it('NPS is promoters minus detractors in percent, with the textbook unweighted interval', () => {
    // 5 promoters, 3 passives, 2 detractors: NPS 30; variance of the ±100/0 points.
    const scores = [10, 9, 9, 10, 9, 7, 8, 7, 3, 6];
    const nps = netPromoterScore(scores);
    expect(nps.value).toBeCloseTo(30, 10);
    const points: number[] = scores.map((s) => (s >= 9 ? 100 : s <= 6 ? -100 : 0));
    const sampleVariance = points.reduce((s, p) => s + (p - 30) ** 2, 0) / (points.length - 1);
    const half = 1.959963984540054 * Math.sqrt(sampleVariance / points.length);
    expect(nps.high - nps.value).toBeCloseTo(half, 6);
    expect(nps.effectiveN).toBe(10);
  });

  it('a weight of 2 counts an answer twice in the estimate and halves less than twice in precision', () => {
    const plain = weightedMean([1, 1, 0, 0, 0, 0]);
    const weighted = weightedMean([1, 0, 0], [2, 2, 2]);
    expect(weighted.value).toBeCloseTo(1 / 3, 10);
    expect(plain.value).toBeCloseTo(1 / 3, 10);
    const uneven = weightedMean([1, 0, 0, 0], [3, 1, 1, 1]);
    expect(uneven.value).toBeCloseTo(0.5, 10);
    expect(uneven.effectiveN).toBeCloseTo(36 / 12, 10);
  });
});

describe('a planted survey answered mostly by the engaged', () => {
  const world = plantSurvey({ seed: 42, people: 40_000 });
  const base = world.people.map((p) => [p.engagement, p.region]);
  const respondents = world.people.filter((p) => p.responds);
  const answered = respondents.map((p) => [p.engagement, p.region]);
  const scores = respondents.map((p) => p.score);

  it('the raw NPS is wrong: the truth lies far outside its interval', () => {
    const raw = netPromoterScore(scores);
    expect(raw.value).toBeCloseTo(world.truth.respondentNps, 10);
    expect(world.truth.nps).toBeLessThan(raw.low - 10);
  });

  it('post-stratification on engagement and region recovers the truth within its interval', () => {
    const weighting = postStratify(base, answered);
    const corrected = netPromoterScore(scores, weighting.weights);
    expect(weighting.uncoveredShare).toBe(0);
    expect(corrected.low).toBeLessThan(world.truth.nps);
    expect(corrected.high).toBeGreaterThan(world.truth.nps);
    expect(Math.abs(corrected.value - world.truth.nps)).toBeLessThan(
      Math.abs(netPromoterScore(scores).value - world.truth.nps) / 5,
    );
    // The weighted respondents look like the base, cell by cell.
    const weightedEngagement = shares(
      answered.map((r) => r[0]!),
      weighting.weights,
    );
    const baseEngagement = shares(base.map((r) => r[0]!));
    for (const [level, share] of baseEngagement) expect(weightedEngagement.get(level)).toBeCloseTo(share, 10);
  });

  it('raking matches every margin and recovers the truth as well', () => {
    const weighting = rake(base, answered);
    expect(weighting.converged).toBe(true);
    const corrected = netPromoterScore(scores, weighting.weights);
    expect(corrected.low).toBeLessThan(world.truth.nps);
    expect(corrected.high).toBeGreaterThan(world.truth.nps);
    for (const t of [0, 1]) {
      const weighted = shares(
        answered.map((r) => r[t]!),
        weighting.weights,
      );
      for (const [category, share] of shares(base.map((r) => r[t]!)))
        expect(weighted.get(category)).toBeCloseTo(share, 5);
    }
    // The correction costs precision: fewer effective answers than answers.
    expect(corrected.effectiveN).toBeLessThan(corrected.n);
  });

  it('the bias report shows the engaged over-represented, with intervals excluding no gap', () => {
    const gaps = responseGaps(['engagement', 'region'], base, answered);
    const high = gaps.find((g) => g.trait === 'engagement' && g.category === 'high')!;
    const low = gaps.find((g) => g.trait === 'engagement' && g.category === 'low')!;
    expect(high.baseShare).toBeCloseTo(SURVEY_PLANT.engagementShares.high, 1);
    expect(high.gap.low).toBeGreaterThan(0);
    expect(low.gap.high).toBeLessThan(0);
    expect(high.responderShare).toBeCloseTo(
      answered.filter((r) => r[0] === 'high').length / answered.length,
      10,
    );
  });

  it('raking with a category nobody answered from reports the share left unspoken for', () => {
    const lopsided = answered.filter((r) => r[0] !== 'low');
    const weighting = rake(base, lopsided);
    expect(weighting.uncoveredShare).toBeCloseTo(shares(base.map((r) => r[0]!)).get('low')!, 10);
    expect(weighting.converged).toBe(true);
  });
});
