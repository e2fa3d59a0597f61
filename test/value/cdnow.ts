// Reads the CDNOW sample from ../shared/data (never copied into the repo). Tests that need it
// call `cdnowSkipReason()` first and skip with that reason when the data are not there.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDay } from '../../src/value/dates.ts';
import type { Transaction } from '../../src/value/summary.ts';

export const CDNOW_DIR = fileURLToPath(new URL('../../../shared/data/cdnow/', import.meta.url));
const SAMPLE = `${CDNOW_DIR}CDNOW_sample.txt`;
export const CDNOW_CALIBRATION_END = '1997-09-30';
// 78 weeks after the cohort's first day (1997-01-01): the paper's holdout period.
export const CDNOW_HOLDOUT_END = '1998-06-30';

export function cdnowSkipReason(): string | undefined {
  return existsSync(SAMPLE) ? undefined : `CDNOW data not found at ${SAMPLE} (see shared/data/README.md)`;
}

/** Raw sample rows: master id, sample id, yyyymmdd, CDs, dollars. Customer id = sample id as a number. */
export function readCdnowSample(): Transaction[] {
  return readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, sampleId, date, , dollars] = line.trim().split(/\s+/);
      return { customerId: String(Number(sampleId)), day: parseDay(date!)!, amount: Number(dollars) };
    });
}

/** The sample as the plain customer_id,date,amount CSV the CLI reads. */
export function cdnowAsCsv(): string {
  const rows = readCdnowSample().map(
    (row) => `${row.customerId},${new Date(row.day * 86_400_000).toISOString().slice(0, 10)},${row.amount}`,
  );
  return `customer_id,date,amount\n${rows.join('\n')}\n`;
}

export function readSummaryFile(name: string): Record<string, string>[] {
  // The files have Windows line endings.
  const [header, ...lines] = readFileSync(`${CDNOW_DIR}${name}`, 'utf8').trim().split(/\r?\n/);
  const columns = header!.split(',');
  return lines.map((line) =>
    Object.fromEntries(line.split(',').map((value, index) => [columns[index]!, value])),
  );
}
