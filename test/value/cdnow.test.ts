// Reproduces Fader, Hardie & Lee (2005) on the CDNOW sample, from the raw purchases.
import { describe, expect, it } from 'vitest';
import { fitBgNbd } from '../../src/value/bgnbd.ts';
import { parseDay } from '../../src/value/dates.ts';
import { fitGammaGamma } from '../../src/value/gamma-gamma.ts';
import { summariseTransactions } from '../../src/value/summary.ts';
import { CDNOW_CALIBRATION_END, cdnowSkipReason, readCdnowSample, readSummaryFile } from './cdnow.ts';

const skipReason = cdnowSkipReason();
if (skipReason) console.warn(skipReason);

/**
 * The value as the summary files print it: two decimals, halves rounded up (22.345 → 22.35;
 * its binary value sits just below the half, so toFixed would print 22.34).
 */
const printed = (value: number): number => Math.round(value * 100 + 1e-7) / 100;

/** A column of a summary file as a number; fails the test if the column is missing. */
function column(row: Record<string, string>, name: string): number {
  expect(row[name], `column ${name}`).toBeDefined();
  return Number(row[name]);
}

describe.skipIf(skipReason !== undefined)('CDNOW sample (Fader, Hardie & Lee 2005)', () => {
  const summary = () =>
    summariseTransactions(readCdnowSample(), {
      calibrationEnd: parseDay(CDNOW_CALIBRATION_END)!,
      unit: 'weeks',
    });

  it('derives the same per-customer summary as cdnow_customers_summary.csv', () => {
    const customers = new Map(summary().customers.map((customer) => [customer.customerId, customer]));
    const expected = readSummaryFile('cdnow_customers_summary.csv');
    expect(customers.size).toBe(expected.length);
    for (const row of expected) {
      const ours = customers.get(row.ID!);
      expect(ours, `customer ${row.ID}`).toBeDefined();
      expect([ours!.frequency, printed(ours!.recency), printed(ours!.age)], `customer ${row.ID}`).toEqual([
        column(row, 'frequency'),
        column(row, 'recency'),
        column(row, 'T'),
      ]);
    }
  });

  it('derives the same x, t_x, T and mean repeat spend as ..._with_transactions.csv', () => {
    const customers = new Map(summary().customers.map((customer) => [customer.customerId, customer]));
    const expected = readSummaryFile('cdnow_customers_summary_with_transactions.csv');
    expect(customers.size).toBe(expected.length);
    const mismatches = expected.filter((row) => {
      const ours = customers.get(row.ID!)!;
      return (
        ours.frequency !== column(row, 'x') ||
        printed(ours.recency) !== column(row, 't_x') ||
        printed(ours.age) !== column(row, 'T') ||
        printed(ours.meanRepeatSpend) !== column(row, 'zbar')
      );
    });
    expect(mismatches).toEqual([]);
  });

  it('reproduces the published BG/NBD fit', () => {
    const fit = fitBgNbd(summary().customers);
    expect(fit.params.r.toFixed(3)).toBe('0.243');
    expect(fit.params.alpha.toFixed(3)).toBe('4.414');
    expect(fit.params.a.toFixed(3)).toBe('0.793');
    expect(fit.params.b.toFixed(3)).toBe('2.426');
    expect(fit.logLikelihood.toFixed(1)).toBe('-9582.4');
    expect(fit.repeatBuyers).toBe(946);
    expect(fit.warnings).toEqual([]);
    // Standard errors as docs/value.md prints them.
    const { r, alpha, a, b } = fit.standardErrors;
    expect([r!.toFixed(4), alpha!.toFixed(3), a!.toFixed(3), b!.toFixed(3)]).toEqual([
      '0.0126',
      '0.378',
      '0.186',
      '0.705',
    ]);
  });

  it('reproduces the published Gamma-Gamma fit on the 946 repeat buyers', () => {
    const fit = fitGammaGamma(summary().customers);
    expect(fit.customers).toBe(946);
    expect(fit.params.p.toFixed(2)).toBe('6.25');
    expect(fit.params.q.toFixed(2)).toBe('3.74');
    expect(fit.params.gamma.toFixed(2)).toBe('15.44');
    const { p, q, gamma } = fit.standardErrors;
    expect([p!.toFixed(2), q!.toFixed(2), gamma!.toFixed(2)]).toEqual(['1.19', '0.29', '4.16']);
  });
});
