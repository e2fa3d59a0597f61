// The `rapport clv` commands, run as a child process on files in a temp dir.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitBgNbd, probabilityAlive } from '../../src/value/bgnbd.ts';
import { parseDay } from '../../src/value/dates.ts';
import { summariseTransactions } from '../../src/value/summary.ts';
import {
  CDNOW_CALIBRATION_END,
  CDNOW_HOLDOUT_END,
  cdnowAsCsv,
  cdnowSkipReason,
  readCdnowSample,
} from './cdnow.ts';
import { rapport, simulatedPurchaseRows, tempDir, writeFile } from './fixtures.ts';

const skipReason = cdnowSkipReason();
const dir = tempDir();
const noNaN = (text: string) => expect(text).not.toMatch(/NaN|Infinity|undefined/);

describe.skipIf(skipReason !== undefined)('rapport clv on the CDNOW sample', () => {
  const file = writeFile(dir, 'cdnow.csv', skipReason ? '' : cdnowAsCsv());
  const common = [file, '--calibration-end', CDNOW_CALIBRATION_END, '--unit', 'weeks'];

  it('fit --json prints the published parameters, standard errors and log-likelihood', async () => {
    const result = await rapport('clv', 'fit', ...common, '--json');
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    expect(report.customers).toBe(2357);
    expect(report.bgNbd.params.r.toFixed(3)).toBe('0.243');
    expect(report.bgNbd.params.alpha.toFixed(3)).toBe('4.414');
    expect(report.bgNbd.params.a.toFixed(3)).toBe('0.793');
    expect(report.bgNbd.params.b.toFixed(3)).toBe('2.426');
    expect(report.bgNbd.logLikelihood.toFixed(1)).toBe('-9582.4');
    expect(report.bgNbd.standardErrors.r).toBeGreaterThan(0);
    expect(report.gammaGamma.params.p.toFixed(2)).toBe('6.25');
    expect(report.gammaGamma.customers).toBe(946);
  });

  it('fit prints a readable table', async () => {
    const result = await rapport('clv', 'fit', ...common);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/r\s+0\.2426\s+0\.01\d\d/);
    expect(result.stdout).toContain('log-likelihood -9582.43');
    expect(result.stdout).toContain('fitted on the 946 repeat buyers only');
  });

  it('predict writes one CSV row per customer, consistent with the library', async () => {
    const result = await rapport('clv', 'predict', ...common, '--horizon', '52', '--discount-rate', '0.1');
    expect(result.code).toBe(0);
    noNaN(result.stdout);
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toBe('customer_id,x,t_x,T,p_alive,expected_purchases,expected_average_spend,clv');
    expect(rows).toHaveLength(2357);
    const customers = summariseTransactions(readCdnowSample(), {
      calibrationEnd: parseDay(CDNOW_CALIBRATION_END)!,
      unit: 'weeks',
    }).customers;
    const params = fitBgNbd(customers).params;
    const first = rows[0]!.split(',');
    const c = customers.find((customer) => customer.customerId === first[0])!;
    expect(Number(first[4])).toBeCloseTo(probabilityAlive(params, c.frequency, c.recency, c.age), 5);
    for (const row of rows) expect(Number(row.split(',')[7])).toBeGreaterThanOrEqual(0);
  });

  it('validate compares with the actual holdout purchases, as a table and as chart arrays', async () => {
    const result = await rapport('clv', 'validate', ...common, '--holdout-end', CDNOW_HOLDOUT_END, '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.chart.buckets).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    // Actual holdout purchases counted here independently: distinct purchase days per customer.
    const calibrationEnd = parseDay(CDNOW_CALIBRATION_END)!;
    const holdoutEnd = parseDay(CDNOW_HOLDOUT_END)!;
    const days = new Set(
      readCdnowSample()
        .filter((row) => row.day > calibrationEnd && row.day <= holdoutEnd)
        .map((row) => `${row.customerId}/${row.day}`),
    );
    expect(report.total.actual).toBe(days.size);
    expect(report.chart.actual.reduce((sum: number, value: number) => sum + value, 0)).toBe(days.size);
    expect(report.total.customers).toBe(2357);
    expect(report.total.predicted).toBeGreaterThan(0);
    const text = await rapport('clv', 'validate', ...common, '--holdout-end', CDNOW_HOLDOUT_END);
    expect(text.stdout).toMatch(/^7\+\s+64\s/m);
    expect(text.stdout).toMatch(/^total\s+2357\s+\d+/m);
    expect(text.stdout).toMatch(/Verdict:/);
  });
});

describe('rapport clv on a plain file with problems', () => {
  it('rejects bad rows with line numbers, fits the rest and writes the rejects file', async () => {
    const rows = simulatedPurchaseRows(400, 11, '2024-12-31', true);
    const bad = [
      'c1,20240105,',
      'c1,20240106,-5.00',
      'c2,20240107,lots',
      'c3,not-a-date,4.00',
      ',20240108,3.00',
    ];
    // Bad rows at lines 2-6 of the file (the header is line 1).
    const file = writeFile(dir, 'bad.csv', `buyer,day,total\n${[...bad, ...rows].join('\n')}\n`);
    const rejects = `${dir}/rejects.csv`;
    const names = ['--customer-column', 'buyer', '--date-column', 'day', '--amount-column', 'total'];
    const result = await rapport(
      'clv',
      'fit',
      file,
      '--calibration-end',
      '2024-12-31',
      ...names,
      '--rejects',
      rejects,
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`rejected 5 of ${rows.length + 5} rows`);
    expect(result.stderr).toContain('line 2: total is empty');
    expect(result.stderr).toContain('line 3: total -5.00 is negative');
    expect(result.stderr).toContain('line 4: total "lots" is not a number');
    expect(result.stderr).toContain('line 5: day "not-a-date" is not a date');
    expect(result.stderr).toContain('line 6: buyer is empty');
    const report = JSON.parse(result.stdout);
    expect(report.rows).toEqual({ read: rows.length + 5, accepted: rows.length, rejected: 5 });
    noNaN(result.stdout);
    const written = readFileSync(rejects, 'utf8').trim().split('\n');
    expect(written[0]).toBe('line,reason,customer,date,amount');
    expect(written.slice(1).map((line) => line.split(',')[0])).toEqual(['2', '3', '4', '5', '6']);
  });

  it('names a missing column and lists the ones found', async () => {
    const file = writeFile(dir, 'columns.csv', 'customer_id,when,amount\na,2024-01-01,3\n');
    const result = await rapport('clv', 'fit', file, '--calibration-end', '2024-12-31');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no "date" column (columns found: "customer_id", "when", "amount")');
    expect(result.stderr).toContain('--date-column');
  });

  it('says an empty file is empty', async () => {
    const file = writeFile(dir, 'empty.csv', '');
    const result = await rapport('clv', 'fit', file, '--calibration-end', '2024-12-31');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/empty\.csv is empty: expected a header row/);
  });

  it('explains that one-purchase-only customers cannot be fitted alone', async () => {
    const file = writeFile(dir, 'once.csv', 'customer_id,date,amount\na,2024-01-01,3\nb,2024-02-01,4\n');
    const result = await rapport('clv', 'fit', file, '--calibration-end', '2024-12-31');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('none of the 2 customers made a repeat purchase');
  });

  it('gives CLV 0 and 0 expected purchases for a zero horizon', async () => {
    const file = writeFile(
      dir,
      'sim.csv',
      `customer_id,date,amount\n${simulatedPurchaseRows(300, 5).join('\n')}\n`,
    );
    const result = await rapport(
      'clv',
      'predict',
      file,
      '--calibration-end',
      '2024-12-31',
      '--horizon',
      '0',
      '--json',
    );
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThan(250);
    for (const line of lines) expect([line.expected_purchases, line.clv]).toEqual([0, 0]);
  });

  it('fits identical customers with warnings and no NaN', async () => {
    const rows = Array.from(
      { length: 40 },
      (_, i) => `c${i},2024-01-01,10\nc${i},2024-02-01,10\nc${i},2024-03-01,10`,
    );
    const file = writeFile(dir, 'same.csv', `customer_id,date,amount\n${rows.join('\n')}\n`);
    const fit = await rapport('clv', 'fit', file, '--calibration-end', '2024-06-30', '--json');
    expect(fit.code).toBe(0);
    noNaN(fit.stdout);
    expect(JSON.parse(fit.stdout).warnings[0]).toContain('all 40 customers have the same history');
    const predict = await rapport(
      'clv',
      'predict',
      file,
      '--calibration-end',
      '2024-06-30',
      '--horizon',
      '10',
    );
    expect(predict.code).toBe(0);
    noNaN(predict.stdout);
  });

  it('validate warns when the data are too thin', async () => {
    const rows = simulatedPurchaseRows(60, 9, '2025-06-30');
    const file = writeFile(dir, 'thin.csv', `customer_id,date,amount\n${rows.join('\n')}\n`);
    const result = await rapport(
      'clv',
      'validate',
      file,
      '--calibration-end',
      '2024-12-31',
      '--holdout-end',
      '2025-06-30',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Verdict: too little data');
    expect(result.stdout).toMatch(/warning: only \d+ customers \(fewer than 100\)/);
  });

  it('refuses a holdout end before the calibration end, and a bad horizon', async () => {
    const file = writeFile(dir, 'x.csv', 'customer_id,date,amount\na,2024-01-01,3\n');
    const holdout = await rapport(
      'clv',
      'validate',
      file,
      '--calibration-end',
      '2024-12-31',
      '--holdout-end',
      '2024-06-30',
    );
    expect(holdout.stderr).toContain('--holdout-end 2024-06-30 must be after --calibration-end 2024-12-31');
    const horizon = await rapport(
      'clv',
      'predict',
      file,
      '--calibration-end',
      '2024-12-31',
      '--horizon',
      '-1',
    );
    expect(horizon.stderr).toContain('--horizon "-1" must be a number ≥ 0');
  });
});
