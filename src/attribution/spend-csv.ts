// Reads a spend file: a CSV with the columns `day` (YYYY-MM-DD), `channel`, optionally
// `campaign`, `amount` and, optionally, `currency` (else the import's currency). Bad rows are
// kept with their line, field and reason; the good rows are imported.
import { CsvError, parse } from 'csv-parse/sync';
import type { SpendRow } from '../store/index.ts';
import { decodeLines, invalid, type RejectedPathRow } from './paths-csv.ts';

export type RejectedSpendRow = RejectedPathRow;

export interface SpendFile {
  rows: SpendRow[];
  /** The line of each accepted row. */
  lines: number[];
  read: number;
  rejected: RejectedSpendRow[];
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const CURRENCY = /^[A-Z]{3}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** One spend entry checked; `line` names it in messages (a CSV line or an API row's index). */
export function checkSpend(
  input: { day: string; channel: string; campaign?: string; amount: string | number; currency?: string },
  defaultCurrency: string | undefined,
  line: number,
): SpendRow | RejectedSpendRow {
  const reject = (field: string, reason: string) => ({ line, field, reason });
  const day = input.day.trim();
  if (!isDay(day)) return reject('day', `day "${day}" is not a date (expected YYYY-MM-DD)`);
  const channel = input.channel.trim().toLowerCase();
  if (channel === '') return reject('channel', 'channel is empty');
  const amountText = String(input.amount).trim();
  if (!NUMBER.test(amountText)) return reject('amount', `amount "${amountText}" is not a number`);
  const amount = Number(amountText);
  if (!Number.isFinite(amount)) return reject('amount', `amount "${amountText}" is not a finite number`);
  if (amount < 0)
    return reject('amount', `amount ${amountText} is negative (spend cannot be; net refunds out first)`);
  const currency = (input.currency?.trim() || defaultCurrency || '').toUpperCase();
  if (currency === '') return reject('currency', 'currency is missing (a column, or the import’s currency)');
  if (!CURRENCY.test(currency))
    return reject('currency', `currency "${currency}" is not an ISO 4217 code like EUR`);
  return { day, channel, campaign: (input.campaign ?? '').trim(), amount, currency };
}

export function parseSpendCsv(
  bytes: Uint8Array,
  defaultCurrency: string | undefined,
  name = 'the spend file',
): SpendFile {
  const decoded = decodeLines(bytes, name);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(decoded.text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (error) {
    if (error instanceof CsvError) throw invalid(`${name} is not valid CSV: ${error.message}`);
    throw error;
  }
  const [header, ...rows] = records;
  if (!header)
    throw invalid(`${name} is empty: expected a header row "day,channel,campaign,amount,currency"`);
  const names = header.record.map((column) => column.trim().toLowerCase());
  const at = (column: string) => names.indexOf(column);
  const day = at('day') >= 0 ? at('day') : at('date');
  for (const [column, index] of [
    ['day', day],
    ['channel', at('channel')],
    ['amount', at('amount')],
  ] as const) {
    if (index < 0) {
      throw invalid(
        `${name} has no "${column}" column (columns found: ${names.map((n) => `"${n}"`).join(', ')})`,
      );
    }
  }
  const cell = (record: string[], index: number) => (index < 0 ? '' : (record[index] ?? ''));
  const file: SpendFile = {
    rows: [],
    lines: [],
    read: rows.length + decoded.rejected.length,
    rejected: [...decoded.rejected],
  };
  for (const { record, info } of rows) {
    const checked = checkSpend(
      {
        day: cell(record, day),
        channel: cell(record, at('channel')),
        campaign: cell(record, at('campaign')),
        amount: cell(record, at('amount')),
        currency: cell(record, at('currency')),
      },
      defaultCurrency,
      info.lines,
    );
    if ('reason' in checked) file.rejected.push(checked);
    else {
      file.rows.push(checked);
      file.lines.push(info.lines);
    }
  }
  file.rejected.sort((a, b) => a.line - b.line);
  return file;
}
