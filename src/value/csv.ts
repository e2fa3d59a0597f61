// Reads a transactions CSV as a stream (csv-parse), one row at a time, so files larger than
// memory are fine. Good rows go to a callback; bad ones are counted and kept with their line
// number and the reason, never silently dropped.
import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { RapportError } from '../errors/index.ts';
import { parseDay } from './dates.ts';
import type { Transaction } from './summary.ts';

export interface TransactionColumns {
  customer: string;
  date: string;
  amount: string;
}

export const DEFAULT_COLUMNS: TransactionColumns = {
  customer: 'customer_id',
  date: 'date',
  amount: 'amount',
};

export interface RejectedRow {
  /** Line number in the file (the header is line 1). */
  line: number;
  reason: string;
  customer: string;
  date: string;
  amount: string;
}

export interface CsvReadResult {
  /** Data rows read (header excluded). */
  rows: number;
  accepted: number;
  rejected: RejectedRow[];
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Streams the file, calling `onTransaction` for every valid row. */
export async function readTransactionsCsv(
  path: string,
  columns: TransactionColumns,
  onTransaction: (transaction: Transaction) => void,
): Promise<CsvReadResult> {
  const parser = createReadStream(path).pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  );
  let indexes: { customer: number; date: number; amount: number } | undefined;
  const result: CsvReadResult = { rows: 0, accepted: 0, rejected: [] };
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (!indexes) {
        indexes = columnIndexes(record, columns, path);
        continue;
      }
      result.rows += 1;
      const row = readRow(record, indexes, info.lines, columns);
      if ('reason' in row) result.rejected.push(row);
      else {
        result.accepted += 1;
        onTransaction(row);
      }
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw new RapportError('RAPPORT_VALUE_INVALID_INPUT', `${path} is not valid CSV: ${error.message}`);
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RapportError('RAPPORT_VALUE_INVALID_INPUT', `cannot read ${path}: no such file`);
    }
    throw error;
  }
  if (!indexes) {
    throw new RapportError(
      'RAPPORT_VALUE_INVALID_INPUT',
      `${path} is empty: expected a header row naming the columns ${describe(columns)} and one row per purchase`,
    );
  }
  return result;
}

function describe(columns: TransactionColumns): string {
  return `"${columns.customer}", "${columns.date}" and "${columns.amount}"`;
}

function columnIndexes(header: string[], columns: TransactionColumns, path: string) {
  const names = header.map((name) => name.trim());
  const find = (wanted: string, option: string): number => {
    const index = names.indexOf(wanted);
    if (index < 0) {
      throw new RapportError(
        'RAPPORT_VALUE_INVALID_INPUT',
        `${path} has no "${wanted}" column (columns found: ${names.map((name) => `"${name}"`).join(', ')}); name yours with ${option}`,
        { missingColumn: wanted, columnsFound: names },
      );
    }
    return index;
  };
  return {
    customer: find(columns.customer, '--customer-column'),
    date: find(columns.date, '--date-column'),
    amount: find(columns.amount, '--amount-column'),
  };
}

function readRow(
  record: string[],
  indexes: { customer: number; date: number; amount: number },
  line: number,
  columns: TransactionColumns,
): Transaction | RejectedRow {
  const customer = (record[indexes.customer] ?? '').trim();
  const date = (record[indexes.date] ?? '').trim();
  const amountText = (record[indexes.amount] ?? '').trim();
  const reject = (reason: string): RejectedRow => ({ line, reason, customer, date, amount: amountText });
  if (customer === '') return reject(`${columns.customer} is empty`);
  const day = parseDay(date);
  if (date === '') return reject(`${columns.date} is empty`);
  if (day === undefined) {
    return reject(
      `${columns.date} "${date}" is not a date (expected YYYY-MM-DD, an ISO timestamp or YYYYMMDD)`,
    );
  }
  if (amountText === '') return reject(`${columns.amount} is empty`);
  if (!NUMBER.test(amountText)) return reject(`${columns.amount} "${amountText}" is not a number`);
  const amount = Number(amountText);
  if (!Number.isFinite(amount)) return reject(`${columns.amount} "${amountText}" is not a finite number`);
  if (amount < 0) {
    return reject(
      `${columns.amount} ${amountText} is negative (refunds are not purchases: net them out first)`,
    );
  }
  return { customerId: customer, day, amount };
}

/** One CSV field, quoted when it needs to be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function rejectsAsCsv(rejected: readonly RejectedRow[]): string {
  const lines = rejected.map((row) =>
    [String(row.line), row.reason, row.customer, row.date, row.amount].map(csvField).join(','),
  );
  return `line,reason,customer,date,amount\n${lines.map((line) => `${line}\n`).join('')}`;
}
