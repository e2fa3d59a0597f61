import { describe, expect, it } from 'vitest';
import { fitBgNbd } from '../../src/value/bgnbd.ts';
import { holdoutReport } from '../../src/value/holdout.ts';
import { simulateBgNbdCustomers, summariseSimulatedCustomer } from '../../src/value/simulate.ts';

const planted = { bgNbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 } };

describe('holdoutReport', () => {
  it('on customers drawn from the model, predicted and actual holdout purchases agree', () => {
    const customers = simulateBgNbdCustomers(planted, 5000, 21, { holdoutLength: 39 }).map(
      summariseSimulatedCustomer,
    );
    const report = holdoutReport(fitBgNbd(customers).params, customers, 39);
    expect(report.chart.buckets).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(report.chart.customers.reduce((sum, value) => sum + value, 0)).toBe(5000);
    const actual = customers.reduce((sum, customer) => sum + customer.holdoutPurchases, 0);
    expect(report.total.actual).toBe(actual);
    expect(Math.abs(report.total.relativeError!)).toBeLessThan(0.1);
    expect(report.verdict).toBe('good');
    expect(report.warnings).toEqual([]);
  });

  it('calls a badly wrong model a poor fit', () => {
    const customers = simulateBgNbdCustomers(planted, 2000, 22, { holdoutLength: 39 }).map(
      summariseSimulatedCustomer,
    );
    // Four times the true purchase rate of new customers (r/α).
    const wrong = { ...planted.bgNbd, r: planted.bgNbd.r * 4 };
    const report = holdoutReport(wrong, customers, 39);
    expect(report.verdict).toBe('poor');
    expect(report.warnings.join()).toMatch(/poor fit: the model over-predicts holdout purchases by \d+%/);
  });
});
