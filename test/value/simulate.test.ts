// Plant parameters, simulate customers from the models, fit, and find the parameters again.
import { describe, expect, it } from 'vitest';
import { fitBgNbd } from '../../src/value/bgnbd.ts';
import { fitGammaGamma } from '../../src/value/gamma-gamma.ts';
import { simulateBgNbdCustomers, summariseSimulatedCustomer } from '../../src/value/simulate.ts';

const planted = { bgNbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, gammaGamma: { p: 6, q: 4, gamma: 15 } };

/** (estimate − planted) / standard error for every parameter. */
function zScores<K extends string>(
  estimates: Record<K, number>,
  errors: Record<K, number | null>,
  truth: Record<K, number>,
): Record<K, number> {
  const keys = Object.keys(truth) as K[];
  return Object.fromEntries(keys.map((key) => [key, (estimates[key] - truth[key]) / errors[key]!])) as Record<
    K,
    number
  >;
}

describe('simulateBgNbdCustomers', () => {
  it('is repeatable for a seed and differs between seeds', () => {
    const first = simulateBgNbdCustomers(planted, 50, 7);
    expect(simulateBgNbdCustomers(planted, 50, 7)).toEqual(first);
    expect(simulateBgNbdCustomers(planted, 50, 8)).not.toEqual(first);
  });

  it('follows the model: purchase times ordered within the observation, amounts positive', () => {
    for (const customer of simulateBgNbdCustomers(planted, 500, 3, {
      minAge: 10,
      maxAge: 20,
      holdoutLength: 5,
    })) {
      expect(customer.purchaseTimes[0]).toBe(0);
      expect(customer.age).toBeGreaterThanOrEqual(10);
      expect(customer.age).toBeLessThanOrEqual(20);
      const last = customer.purchaseTimes.at(-1)!;
      expect(last).toBeLessThanOrEqual(customer.age + 5);
      expect([...customer.purchaseTimes].sort((x, y) => x - y)).toEqual(customer.purchaseTimes);
      expect(customer.amounts.every((amount) => amount > 0)).toBe(true);
    }
  });

  it('plants BG/NBD and Gamma-Gamma parameters that the fits recover within 3 standard errors', () => {
    const customers = simulateBgNbdCustomers(planted, 10_000, 1).map(summariseSimulatedCustomer);
    const purchases = fitBgNbd(customers);
    const spend = fitGammaGamma(customers);
    const purchaseZ = zScores(purchases.params, purchases.standardErrors, planted.bgNbd);
    const spendZ = zScores(spend.params, spend.standardErrors, planted.gammaGamma);
    for (const [name, z] of Object.entries({ ...purchaseZ, ...spendZ })) {
      expect(Math.abs(z), `${name}: z = ${z}`).toBeLessThan(3);
    }
    // Standard errors that are tiny would make the check above meaningless.
    expect(purchases.standardErrors.r! / planted.bgNbd.r).toBeGreaterThan(0.01);
    expect(spend.standardErrors.p! / planted.gammaGamma.p).toBeGreaterThan(0.01);
  });
});
