// The CLI side of an export: reads the server's NDJSON stream line by line and writes JSON
// lines as they come, or CSV whose columns are fixed fields plus the properties/traits found
// in the first rows (or --columns). Memory holds the sample and one line, not the export.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, type Writable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface ExportOptions {
  kind: 'events' | 'profiles';
  url: string;
  adminToken: string;
  format: 'jsonl' | 'csv';
  filters: Record<string, string>;
  /** CSV columns; empty: discovered from the first SAMPLE_ROWS rows. */
  columns: string[];
  output?: string;
}

export interface ExportSummary {
  rows: number;
  /** CSV: fields seen after the sample that have no column. */
  droppedColumns: string[];
}

export class ExportRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportRefusedError';
  }
}

const SAMPLE_ROWS = 1000;

const FIXED_COLUMNS: Record<ExportOptions['kind'], string[]> = {
  events: [
    'messageId',
    'type',
    'event',
    'name',
    'userId',
    'anonymousId',
    'profileId',
    'timestamp',
    'receivedAt',
  ],
  profiles: ['profileId', 'createdAt', 'firstSeen', 'lastSeen', 'eventCount'],
};
/** Objects whose keys become `bag.key` columns (one level; deeper values are JSON). */
const BAGS: Record<ExportOptions['kind'], string[]> = {
  events: ['properties', 'traits'],
  profiles: ['identities', 'traits'],
};

/** One record as `column → cell text`; the event's profile id comes from context.rapport. */
export function flattenRecord(
  kind: ExportOptions['kind'],
  record: Record<string, unknown>,
): Map<string, string> {
  const cells = new Map<string, string>();
  for (const column of FIXED_COLUMNS[kind]) {
    if (record[column] !== undefined) cells.set(column, cellText(record[column]));
  }
  if (kind === 'events') {
    const rapport = (record.context as { rapport?: { profileId?: unknown } } | undefined)?.rapport;
    if (rapport?.profileId !== undefined) cells.set('profileId', cellText(rapport.profileId));
  }
  for (const bag of BAGS[kind]) {
    const value = record[bag];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    for (const [key, inner] of Object.entries(value)) {
      // Identities are lists of ids: "a;b" reads better in a sheet than JSON.
      const text =
        bag === 'identities' && Array.isArray(inner) ? inner.map(String).join(';') : cellText(inner);
      cells.set(`${bag}.${key}`, text);
    }
  }
  return cells;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** RFC 4180: quote when the cell holds a comma, quote, newline or edge spaces. */
export function csvCell(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: string[]): string {
  return `${cells.map(csvCell).join(',')}\n`;
}

/** Fixed columns first, then the bags' keys in the order first seen. */
export function discoverColumns(kind: ExportOptions['kind'], sample: Map<string, string>[]): string[] {
  const columns = [...FIXED_COLUMNS[kind]];
  const seen = new Set(columns);
  for (const cells of sample) {
    for (const column of cells.keys()) {
      if (!seen.has(column)) {
        seen.add(column);
        columns.push(column);
      }
    }
  }
  return columns;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function openStream(options: ExportOptions): Promise<AsyncIterable<string>> {
  const url = new URL(`/api/export/${options.kind}`, options.url);
  for (const [key, value] of Object.entries(options.filters)) url.searchParams.set(key, value);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${options.adminToken}` } });
  } catch (error) {
    throw new Error(`cannot reach ${url.origin}: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) {
    const text = await response.text();
    const detail = (() => {
      try {
        return (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        return text;
      }
    })();
    throw new ExportRefusedError(`the server answered ${response.status}: ${detail.slice(0, 300)}`);
  }
  const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
  return createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY });
}

export async function runExport(options: ExportOptions): Promise<ExportSummary> {
  const lines = await openStream(options);
  const out: Writable = options.output ? createWriteStream(options.output) : process.stdout;
  const summary: ExportSummary = { rows: 0, droppedColumns: [] };
  try {
    if (options.format === 'jsonl') {
      for await (const line of lines) {
        if (line === '') continue;
        await write(out, `${line}\n`);
        summary.rows++;
      }
    } else {
      await writeCsv(options, lines, out, summary);
    }
  } finally {
    if (out !== process.stdout) {
      out.end();
      await once(out, 'finish');
    }
  }
  return summary;
}

async function writeCsv(
  options: ExportOptions,
  lines: AsyncIterable<string>,
  out: Writable,
  summary: ExportSummary,
): Promise<void> {
  const sample: Map<string, string>[] = [];
  let columns: string[] | undefined = options.columns.length > 0 ? options.columns : undefined;
  const dropped = new Set<string>();
  const emit = async (cells: Map<string, string>) => {
    const known = columns as string[];
    for (const column of cells.keys()) if (!known.includes(column)) dropped.add(column);
    await write(out, csvLine(known.map((column) => cells.get(column) ?? '')));
    summary.rows++;
  };
  if (columns) await write(out, csvLine(columns));
  for await (const line of lines) {
    if (line === '') continue;
    const cells = flattenRecord(options.kind, JSON.parse(line) as Record<string, unknown>);
    if (columns) {
      await emit(cells);
      continue;
    }
    sample.push(cells);
    if (sample.length < SAMPLE_ROWS) continue;
    columns = discoverColumns(options.kind, sample);
    await write(out, csvLine(columns));
    for (const held of sample.splice(0)) await emit(held);
  }
  if (!columns) {
    columns = discoverColumns(options.kind, sample);
    await write(out, csvLine(columns));
    for (const held of sample.splice(0)) await emit(held);
  }
  summary.droppedColumns = [...dropped];
}
