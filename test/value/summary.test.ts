import { describe, expect, it } from 'vitest';
import { formatDay, parseDay } from '../../src/value/dates.ts';
import { summariseTransactions, type Transaction } from '../../src/value/summary.ts';

const day = (text: string): number => parseDay(text)!;
const purchase = (customerId: string, date: string, amount: number): Transaction => ({
  customerId,
  day: day(date),
  amount,
});

describe('parseDay', () => {
  it('reads ISO dates, ISO timestamps and YYYYMMDD as the same calendar day', () => {
    const expected = Date.UTC(2024, 1, 29) / 86_400_000;
    for (const text of [
      '2024-02-29',
      '20240229',
      '2024-02-29T23:59:59Z',
      '2024-02-29T23:30:00-05:00',
      '2024-02-29 08:00',
    ]) {
      expect(parseDay(text), text).toBe(expected);
    }
    expect(formatDay(expected)).toBe('2024-02-29');
  });

  it('rejects dates that do not exist and text that is not a date', () => {
    for (const text of ['2023-02-29', '20231301', '2024-1-5', 'yesterday', '', '1700000000']) {
      expect(parseDay(text), text).toBeUndefined();
    }
  });
});

describe('summariseTransactions', () => {
  const options = {
    calibrationEnd: day('2024-01-29'),
    unit: 'weeks' as const,
    holdoutEnd: day('2024-03-01'),
  };

  it('counts same-day purchases once with the day total as its value', () => {
    const { customers } = summariseTransactions(
      [
        purchase('a', '2024-01-01', 10),
        purchase('a', '2024-01-15', 5),
        purchase('a', '2024-01-15', 7),
        purchase('a', '2024-01-22', 30),
        purchase('a', '2024-01-01', 1),
      ],
      options,
    );
    expect(customers).toEqual([
      {
        customerId: 'a',
        frequency: 2,
        recency: 3,
        age: 4,
        meanRepeatSpend: (12 + 30) / 2,
        holdoutPurchases: 0,
      },
    ]);
  });

  it('counts holdout purchase days separately and ignores customers first seen after the calibration end', () => {
    const result = summariseTransactions(
      [
        purchase('a', '2024-01-01', 10),
        purchase('a', '2024-02-05', 10),
        purchase('a', '2024-02-05', 10),
        purchase('a', '2024-02-06', 10),
        purchase('a', '2024-04-01', 10),
        purchase('late', '2024-02-10', 10),
      ],
      options,
    );
    expect(result.customers).toHaveLength(1);
    expect(result.customers[0]).toMatchObject({
      frequency: 0,
      recency: 0,
      meanRepeatSpend: 0,
      holdoutPurchases: 2,
    });
    expect(result.customersFirstSeenAfterCalibration).toBe(1);
    expect(result.purchasesAfterCalibration).toBe(3);
  });

  it('measures in days and in 30.4375-day months', () => {
    const transactions = [purchase('a', '2024-01-01', 1), purchase('a', '2024-01-31', 1)];
    const end = day('2024-03-01');
    expect(
      summariseTransactions(transactions, { calibrationEnd: end, unit: 'days' }).customers[0],
    ).toMatchObject({
      recency: 30,
      age: 60,
    });
    expect(
      summariseTransactions(transactions, { calibrationEnd: end, unit: 'months' }).customers[0],
    ).toMatchObject({
      recency: 30 / 30.4375,
      age: 60 / 30.4375,
    });
  });
});
