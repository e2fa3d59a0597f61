import { describe, expect, it } from 'vitest';
import { addPeriod, parseBillingPeriod, renewalCalendar } from '../../src/value/renewals.ts';

const at = (iso: string) => Date.parse(iso);

describe('renewal calendar', () => {
  it('counts each renewal in its month with its price and the revenue at risk', () => {
    const calendar = renewalCalendar(
      [
        {
          profileId: 'a',
          plan: 'club',
          price: 10,
          periodMonths: 1,
          nextRenewalAt: at('2025-01-15'),
          churnRisk: 0.5,
        },
        {
          profileId: 'b',
          plan: 'pro',
          price: 120,
          periodMonths: 12,
          nextRenewalAt: at('2025-02-03'),
          churnRisk: 0.1,
        },
        { profileId: 'c', plan: 'club', price: 10, periodMonths: 1, nextRenewalAt: at('2025-06-01') },
      ],
      new Date('2025-01-10T12:00:00Z'),
      3,
    );
    expect(calendar.from).toBe('2025-01');
    expect(calendar.months).toEqual([
      { month: '2025-01', renewals: 1, revenue: 10, revenueAtRisk: 5, revenueRiskUnknown: 0 },
      { month: '2025-02', renewals: 2, revenue: 130, revenueAtRisk: 5 + 12, revenueRiskUnknown: 0 },
      { month: '2025-03', renewals: 1, revenue: 10, revenueAtRisk: 5, revenueRiskUnknown: 0 },
    ]);
    expect(calendar.totalRevenue).toBe(150);
    expect(calendar.totalAtRisk).toBeCloseTo(27, 12);
    expect(calendar.totalRiskUnknown).toBe(0);
  });

  it('keeps revenue whose churn risk is unknown apart, never counted as safe', () => {
    const calendar = renewalCalendar(
      [
        {
          profileId: 'a',
          plan: 'club',
          price: 10,
          periodMonths: 1,
          nextRenewalAt: at('2025-01-15'),
          churnRisk: null,
        },
        {
          profileId: 'b',
          plan: 'club',
          price: 20,
          periodMonths: 1,
          nextRenewalAt: at('2025-01-20'),
          churnRisk: 0.25,
        },
      ],
      new Date('2025-01-10T12:00:00Z'),
      1,
    );
    expect(calendar.months).toEqual([
      { month: '2025-01', renewals: 2, revenue: 30, revenueAtRisk: 5, revenueRiskUnknown: 10 },
    ]);
    expect(calendar.totalRiskUnknown).toBe(10);
  });

  it('steps calendar months in UTC, keeping the day where the month has it', () => {
    expect(new Date(addPeriod(at('2025-01-31T00:00:00Z'), { periodMonths: 1 })).toISOString()).toBe(
      '2025-02-28T00:00:00.000Z',
    );
    expect(new Date(addPeriod(at('2025-03-15T08:00:00Z'), { periodMonths: 12 })).toISOString()).toBe(
      '2026-03-15T08:00:00.000Z',
    );
    expect(addPeriod(0, { periodMonths: 0, periodDays: 7 })).toBe(7 * 86_400_000);
  });

  it('reads billing periods, defaulting unknown ones to monthly and saying so', () => {
    expect(parseBillingPeriod('Annual')).toEqual({ months: 12, known: true });
    expect(parseBillingPeriod('weekly')).toEqual({ months: 0, days: 7, known: true });
    expect(parseBillingPeriod(42)).toEqual({ months: 1, known: false });
  });

  it('gives an empty calendar for 0 months', () => {
    const calendar = renewalCalendar(
      [{ profileId: 'a', plan: null, price: 10, periodMonths: 1, nextRenewalAt: at('2025-01-15') }],
      new Date('2025-01-01'),
      0,
    );
    expect(calendar).toEqual({
      from: '2025-01',
      months: [],
      totalRevenue: 0,
      totalAtRisk: 0,
      totalRiskUnknown: 0,
    });
  });
});
