// The rows of an import file as messages-to-be (or problems), each with where it ends, so the
// runner can checkpoint after any of them. JSON lines resume by byte offset; CSV resumes by
// record count (the parser is re-run over the skipped records, which are not sent again).
import { createReadStream } from 'node:fs';
import { parse as parseCsv } from 'csv-parse';
import {
  type CsvPlan,
  csvRecordToMessage,
  ensureMessageId,
  ImportUsageError,
  jsonLineToMessage,
  type RowProblem,
} from './mapping.ts';
import { readJsonLines } from './source.ts';

/** Larger rows are rejected before parsing; a message may be 32 KB once normalised. */
export const MAX_ROW_BYTES = 64 * 1024;
/** A CSV record larger than this is a broken file (an unclosed quote), not a row. */
const MAX_CSV_RECORD_CHARS = 1024 * 1024;
const RAW_KEPT_CHARS = 2000;

export interface RowItem {
  /** Line number (JSON lines) or data record number (CSV, the header excluded). */
  row: number;
  /** Line of the file where the row ends. */
  line: number;
  /** Rows consumed once this one is done: the checkpoint's position. */
  position: number;
  /** Bytes consumed once this one is done (exact for JSON lines; progress only for CSV). */
  offset: number;
  /** The row as read, truncated, for the rejects file. */
  raw: string;
  message?: Record<string, unknown>;
  problem?: RowProblem;
}

export interface RowStart {
  offset: number;
  position: number;
}

function tooLarge(bytes: number): RowProblem {
  return {
    code: 'RAPPORT_INGEST_MESSAGE_TOO_LARGE',
    field: '',
    reason: `the row is ${bytes} bytes; a row may be at most ${MAX_ROW_BYTES / 1024} KB (a message 32 KB)`,
  };
}

export async function* jsonLineRows(
  path: string,
  fileKey: string,
  start: RowStart,
): AsyncGenerator<RowItem[]> {
  for await (const lines of readJsonLines(
    path,
    { offset: start.offset, line: start.position },
    MAX_ROW_BYTES,
  )) {
    const items: RowItem[] = [];
    for (const source of lines) {
      const base = { row: source.line, line: source.line, position: source.line, offset: source.endOffset };
      if (source.text === undefined) {
        items.push({ ...base, raw: '', problem: tooLarge(source.bytes) });
        continue;
      }
      const raw =
        source.text.length > RAW_KEPT_CHARS ? `${source.text.slice(0, RAW_KEPT_CHARS)}…` : source.text;
      const mapped = jsonLineToMessage(source.text);
      if ('problem' in mapped) {
        items.push({ ...base, raw, problem: mapped.problem });
        continue;
      }
      ensureMessageId(mapped.message, fileKey, source.line, source.text);
      items.push({ ...base, raw, message: mapped.message });
    }
    yield items;
  }
}

const CSV_OPTIONS = {
  bom: true,
  from_line: 2,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  max_record_size: MAX_CSV_RECORD_CHARS,
  info: true,
  raw: true,
} as const;

interface CsvRecordInfo {
  record: string[];
  raw: string;
  info: { lines: number; bytes: number };
}

function csvRecords(path: string): AsyncIterable<CsvRecordInfo> {
  return createReadStream(path).pipe(parseCsv(CSV_OPTIONS)) as AsyncIterable<CsvRecordInfo>;
}

/**
 * Parses the whole CSV once before importing: a structural error (an unclosed quote) refuses
 * the file with its line instead of importing up to it. Returns the number of records.
 */
export async function checkCsvStructure(path: string): Promise<number> {
  let records = 0;
  try {
    for await (const _ of csvRecords(path)) records++;
  } catch (error) {
    const lines = (error as { lines?: number }).lines;
    throw new ImportUsageError(
      `the CSV cannot be read${lines ? ` at line ${lines}` : ''}: ${(error as Error).message}; nothing was imported`,
    );
  }
  return records;
}

export async function* csvRows(
  path: string,
  plan: CsvPlan,
  header: string[],
  fileKey: string,
  start: RowStart,
): AsyncGenerator<RowItem[]> {
  let row = 0;
  let items: RowItem[] = [];
  for await (const { record, raw: rawText, info } of csvRecords(path)) {
    row++;
    if (row <= start.position) continue;
    const raw =
      rawText.length > RAW_KEPT_CHARS
        ? `${rawText.slice(0, RAW_KEPT_CHARS)}…`
        : rawText.replace(/\r?\n$/, '');
    const base = { row, line: info.lines, position: row, offset: info.bytes, raw };
    items.push({ ...base, ...csvRowOutcome(record, rawText, plan, header, fileKey, row) });
    if (items.length >= 1000) {
      yield items;
      items = [];
    }
  }
  if (items.length > 0) yield items;
}

function csvRowOutcome(
  record: string[],
  rawText: string,
  plan: CsvPlan,
  header: string[],
  fileKey: string,
  row: number,
): { message: Record<string, unknown> } | { problem: RowProblem } {
  if (Buffer.byteLength(rawText) > MAX_ROW_BYTES) return { problem: tooLarge(Buffer.byteLength(rawText)) };
  if (record.length !== header.length) {
    return {
      problem: {
        code: 'RAPPORT_IMPORT_INVALID_ROW',
        field: '',
        reason: `the row has ${record.length} fields; the header has ${header.length}`,
      },
    };
  }
  const mapped = csvRecordToMessage(record, plan);
  if ('problem' in mapped) return mapped;
  ensureMessageId(mapped.message, fileKey, row, JSON.stringify(record));
  return mapped;
}
