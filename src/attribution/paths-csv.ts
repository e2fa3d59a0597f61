// Reads a paths file: a CSV with the columns `path` ("a > b > c"), `conversions`, `nulls`
// and, optionally, `value`. Good rows become paths; bad ones are kept with their line, the
// field and the reason, never silently dropped. Lines that are not UTF-8 are rejected one by
// one (the rest of the file still counts); a UTF-16 file is refused as a whole with how to fix it.
import { CsvError, parse } from 'csv-parse/sync';
import { RapportError } from '../errors/index.ts';
import type { AttributionPath } from './types.ts';

export const PATH_SEPARATOR = '>';

export interface RejectedPathRow {
  /** Line in the file (the header is line 1). */
  line: number;
  field: string;
  reason: string;
}

export interface PathsFile {
  paths: AttributionPath[];
  /** Data rows read (header and empty lines excluded). */
  rows: number;
  rejected: RejectedPathRow[];
  hasValue: boolean;
  hasNulls: boolean;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function invalid(message: string, details?: Record<string, unknown>): RapportError {
  return new RapportError('RAPPORT_ATTRIBUTION_INVALID_INPUT', message, details);
}

/** Decodes line by line; lines that are not UTF-8 become empty and are reported. */
export function decodeLines(bytes: Uint8Array, name: string): { text: string; rejected: RejectedPathRow[] } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw invalid(`${name} is UTF-16; save it as UTF-8 (CSV UTF-8 in a spreadsheet's "Save as")`);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lines: string[] = [];
  const rejected: RejectedPathRow[] = [];
  let start = 0;
  let line = 1;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      lines.push(decoder.decode(bytes.subarray(start, end)));
    } catch {
      lines.push('');
      rejected.push({ line, field: 'line', reason: 'the line is not valid UTF-8 (save the file as UTF-8)' });
    }
    start = end + 1;
    line += 1;
  }
  return { text: lines.join('\n'), rejected };
}

/** Parses the file's bytes; `name` is used in messages. */
export function parsePathsCsv(bytes: Uint8Array, name = 'the paths file'): PathsFile {
  const decoded = decodeLines(bytes, name);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(decoded.text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    if (error instanceof CsvError) throw invalid(`${name} is not valid CSV: ${error.message}`);
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) throw invalid(`${name} is empty: expected a header row "path,conversions,nulls[,value]"`);
  const columns = columnIndexes(header.record, name);
  const file: PathsFile = {
    paths: [],
    rows: rows.length + decoded.rejected.length,
    rejected: [...decoded.rejected],
    hasValue: columns.value >= 0,
    hasNulls: columns.nulls >= 0,
  };
  for (const { record, info } of rows) {
    const row = readRow(record, columns, info.lines);
    if ('reason' in row) file.rejected.push(row);
    else file.paths.push(row);
  }
  file.rejected.sort((a, b) => a.line - b.line);
  return file;
}

interface Columns {
  path: number;
  conversions: number;
  nulls: number;
  value: number;
}

function columnIndexes(header: string[], name: string): Columns {
  const names = header.map((column) => column.trim().toLowerCase());
  const columns = {
    path: names.indexOf('path'),
    conversions: names.indexOf('conversions'),
    nulls: names.indexOf('nulls'),
    value: names.indexOf('value'),
  };
  for (const required of ['path', 'conversions'] as const) {
    if (columns[required] < 0) {
      throw invalid(
        `${name} has no "${required}" column (columns found: ${names.map((column) => `"${column}"`).join(', ')}); expected path,conversions,nulls[,value]`,
        { missingColumn: required, columnsFound: names },
      );
    }
  }
  return columns;
}

function readCount(text: string, field: string, line: number): number | RejectedPathRow {
  if (text === '') return { line, field, reason: `${field} is empty` };
  if (!NUMBER.test(text)) return { line, field, reason: `${field} "${text}" is not a number` };
  const number = Number(text);
  if (!Number.isFinite(number)) return { line, field, reason: `${field} "${text}" is not a finite number` };
  if (number < 0) return { line, field, reason: `${field} ${text} is negative` };
  return number;
}

function readRow(record: string[], columns: Columns, line: number): AttributionPath | RejectedPathRow {
  const cell = (index: number) => (index < 0 ? '' : (record[index] ?? '').trim());
  const pathText = cell(columns.path);
  if (pathText === '')
    return { line, field: 'path', reason: 'path is empty (expected channels like "a > b > c")' };
  const channels = pathText.split(PATH_SEPARATOR).map((channel) => channel.trim());
  const gap = channels.indexOf('');
  if (gap >= 0) {
    return { line, field: 'path', reason: `path "${pathText}" has an empty channel at step ${gap + 1}` };
  }
  const conversions = readCount(cell(columns.conversions), 'conversions', line);
  if (typeof conversions !== 'number') return conversions;
  let nulls = 0;
  if (columns.nulls >= 0) {
    const read = readCount(cell(columns.nulls), 'nulls', line);
    if (typeof read !== 'number') return read;
    nulls = read;
  }
  let value = 0;
  if (columns.value >= 0) {
    const text = cell(columns.value);
    if (text === '' && conversions > 0) {
      return {
        line,
        field: 'value',
        reason: `value is empty for ${conversions} conversions (write 0 if they earned nothing)`,
      };
    }
    if (text !== '') {
      const read = readCount(text, 'value', line);
      if (typeof read !== 'number') return read;
      value = read;
    }
  }
  if (conversions === 0 && value > 0) {
    return { line, field: 'value', reason: `value ${value} without conversions` };
  }
  return { channels, conversions, nulls, value };
}
