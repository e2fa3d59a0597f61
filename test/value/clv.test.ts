import { describe, expect, it } from 'vitest';
import { conditionalExpectedPurchases } from '../../src/value/bgnbd.ts';
import { customerLifetimeValue, discountRatePerUnit, predictCustomers } from '../../src/value/clv.ts';
import type { CustomerSummary } from '../../src/value/summary.ts';

const bgNbd = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const customer: CustomerSummary = {
  customerId: 'a',
  frequency: 2,
  recency: 30.43,
  age: 38.86,
  meanRepeatSpend: 22.35,
  holdoutPurchases: 0,
};

describe('CLV', () => {
  it('converts an annual discount rate to the unit', () => {
    expect(discountRatePerUnit(0.1, 'days')).toBeCloseTo(1.1 ** (1 / 365.25) - 1, 15);
    expect((1 + discountRatePerUnit(0.1, 'weeks')) ** (365.25 / 7)).toBeCloseTo(1.1, 12);
    expect(discountRatePerUnit(0, 'months')).toBe(0);
  });

  it('without discounting equals expected purchases times expected spend', () => {
    const purchases = conditionalExpectedPurchases(bgNbd, 2, 30.43, 38.86, 52);
    expect(customerLifetimeValue(bgNbd, customer, 30, 52, 0)).toBeCloseTo(purchases * 30, 10);
    expect(customerLifetimeValue(bgNbd, customer, 30, 51.5, 0)).toBeCloseTo(
      conditionalExpectedPurchases(bgNbd, 2, 30.43, 38.86, 51.5) * 30,
      10,
    );
  });

  it('discounting lowers CLV, and a zero horizon gives 0', () => {
    const undiscounted = customerLifetimeValue(bgNbd, customer, 30, 52, 0);
    expect(customerLifetimeValue(bgNbd, customer, 30, 52, 0.01)).toBeLessThan(undiscounted);
    expect(customerLifetimeValue(bgNbd, customer, 30, 0, 0.01)).toBe(0);
  });

  it('predicts every customer with finite numbers, using the fallback spend without a spend model', () => {
    const [prediction] = predictCustomers(bgNbd, { fallback: 17 }, [customer], {
      horizon: 0,
      annualDiscountRate: 0.1,
      unit: 'weeks',
    });
    expect(prediction).toMatchObject({ expectedPurchases: 0, clv: 0, expectedAverageSpend: 17 });
    expect(prediction!.probabilityAlive).toBeGreaterThan(0);
  });
});
