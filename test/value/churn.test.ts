import { describe, expect, it } from 'vitest';
import {
  CHURN_FEATURES,
  churnFeatureVector,
  churnRisk,
  fitChurnModel,
  isHeldOut,
} from '../../src/value/churn.ts';
import { areaUnderCurve, fitLogistic, predictLogistic } from '../../src/value/logistic.ts';
import { DEFAULT_PLANTED_CHURN, simulateSubscribers } from '../../src/value/simulate-churn.ts';

describe('area under the ROC curve', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one and counts ties as half', () => {
    expect(areaUnderCurve([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(areaUnderCurve([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(areaUnderCurve([0.5, 0.5, 0.5, 0.5], [false, true, false, true])).toBe(0.5);
  });

  it('equals the share of (positive, negative) pairs ordered right, counted by brute force', () => {
    const scores = [0.3, 0.1, 0.7, 0.7, 0.2, 0.9, 0.4, 0.4];
    const labels = [true, false, true, false, false, true, false, true];
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < scores.length; i++) {
      for (let j = 0; j < scores.length; j++) {
        if (!labels[i] || labels[j]) continue;
        pairs += 1;
        wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
    expect(areaUnderCurve(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });

  it('is null with one class only', () => {
    expect(areaUnderCurve([0.1, 0.2], [true, true])).toBeNull();
    expect(areaUnderCurve([], [])).toBeNull();
  });
});

describe('logistic regression', () => {
  it('recovers planted coefficients within three standard errors', () => {
    const subscribers = simulateSubscribers(20_000, 7);
    const fit = fitLogistic(
      CHURN_FEATURES,
      subscribers.map((s) => churnFeatureVector(s.signals)),
      subscribers.map((s) => s.churned),
    );
    expect(fit.converged).toBe(true);
    for (const [j, planted] of DEFAULT_PLANTED_CHURN.coefficients.entries()) {
      const error = fit.standardErrors[j]!;
      expect(error).toBeGreaterThan(0);
      expect(Math.abs(fit.coefficients[j]! - planted), CHURN_FEATURES[j]).toBeLessThan(3 * error);
    }
  });

  it('stays finite on separable data and on a constant column', () => {
    const rows = [
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
    ];
    const labels = [false, false, false, true, true, true];
    const fit = fitLogistic(['x', 'constant'], rows, labels);
    expect(fit.coefficients.every(Number.isFinite)).toBe(true);
    expect(fit.coefficients[1]).toBe(0);
    expect(fit.standardErrors[1]).toBeNull();
    expect(predictLogistic(fit, [5, 1])).toBeGreaterThan(predictLogistic(fit, [0, 1]));
  });
});

describe('churn model', () => {
  it('separates held-out churners nearly as well as the planted model, with the right signs', () => {
    const subscribers = simulateSubscribers(10_000, 11);
    const result = fitChurnModel(subscribers);
    const model = result.model!;
    expect(model.heldOut).toBeGreaterThan(2_000);
    const heldOut = subscribers.filter((s) => isHeldOut(s.profileId, 0.3));
    const plantedAuc = areaUnderCurve(
      heldOut.map((s) => s.plantedRisk),
      heldOut.map((s) => s.churned),
    )!;
    expect(plantedAuc).toBeGreaterThan(0.7);
    expect(model.heldOutAuc!).toBeGreaterThan(plantedAuc - 0.02);
    const signs = model.fit.coefficients.map(Math.sign);
    expect(signs).toEqual(DEFAULT_PLANTED_CHURN.coefficients.map(Math.sign));
    expect(result.warnings).toEqual([]);
  });

  it('finds no signal where none was planted: held-out AUC near 0.5 and a warning', () => {
    const subscribers = simulateSubscribers(6_000, 3, { intercept: -1, coefficients: [0, 0, 0, 0, 0] });
    const result = fitChurnModel(subscribers);
    expect(Math.abs(result.model!.heldOutAuc! - 0.5)).toBeLessThan(0.05);
    expect(result.warnings.join(' ')).toMatch(/coin toss/);
  });

  it('gives no risk (not enough data) with too few churners, not the same rate for everyone', () => {
    const subscribers = simulateSubscribers(200, 5).map((s, i) => ({ ...s, churned: i < 4 }));
    const result = fitChurnModel(subscribers);
    expect(result.model).toBeNull();
    expect(result.baseRate).toBeCloseTo(4 / 200, 12);
    expect(result.warnings[0]).toMatch(/not fitted.*churners/);
    expect(result.warnings[0]).toMatch(/not enough data/);
    // Before #11 every subscriber got the base rate (14.86% on the small demo): not a prediction.
    expect(churnRisk(result, subscribers[0]!.signals)).toBeNull();
  });

  it('says there is nothing to learn from when there are no subscribers', () => {
    const result = fitChurnModel([]);
    expect(result.model).toBeNull();
    expect(result.baseRate).toBeNull();
    expect(result.warnings).toEqual(['no subscriber history to learn churn from']);
  });

  it('gives finite risks when all subscribers are identical', () => {
    const one = simulateSubscribers(1, 9)[0]!;
    const subscribers = Array.from({ length: 400 }, (_, i) => ({
      profileId: `p${i}`,
      signals: one.signals,
      churned: i % 4 === 0,
    }));
    const result = fitChurnModel(subscribers);
    const risk = churnRisk(result, one.signals)!;
    expect(risk).toBeCloseTo(0.25, 1);
    // Out-of-fold scores differ only by each fold's base rate: no ranking beyond chance.
    expect(Math.abs(result.model!.heldOutAuc! - 0.5)).toBeLessThan(0.05);
  });

  it('splits by profile id the same way every time', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `profile-${i}`);
    const share = ids.filter((id) => isHeldOut(id, 0.3)).length / ids.length;
    expect(Math.abs(share - 0.3)).toBeLessThan(0.02);
    expect(ids.map((id) => isHeldOut(id, 0.3))).toEqual(ids.map((id) => isHeldOut(id, 0.3)));
  });
});
