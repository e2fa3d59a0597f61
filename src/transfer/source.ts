// Reading an import file: its identity (for resume and deterministic messageIds), an encoding
// check over the whole file before anything is imported, JSON lines with the byte offset each
// ends at (so a resume seeks instead of re-reading), and a CSV header read with hard limits.
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { ImportUsageError } from './mapping.ts';

/** How many leading bytes name a file; enough to tell two exports apart, cheap to read. */
const HEAD_BYTES = 64 * 1024;
const CHUNK_BYTES = 1024 * 1024;
export const MAX_HEADER_BYTES = 1024 * 1024;
export const MAX_COLUMNS = 10_000;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface FileIdentity {
  /** sha256 of the first 64 KB. */
  headHash: string;
  size: number;
}

export async function identifyFile(path: string): Promise<FileIdentity> {
  const { size } = await stat(path);
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    return { headHash: createHash('sha256').update(head).digest('hex'), size };
  } finally {
    await handle.close();
  }
}

/** Length of `buffer` without a trailing, possibly incomplete, UTF-8 sequence. */
function completeUtf8Length(buffer: Buffer): number {
  let start = buffer.length - 1;
  while (start >= 0 && buffer.length - start < 4 && ((buffer[start] as number) & 0xc0) === 0x80) start--;
  if (start < 0) return buffer.length;
  const lead = buffer[start] as number;
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return buffer.length - start >= needed ? buffer.length : start;
}

function countNewlines(buffer: Buffer, end = buffer.length): number {
  let count = 0;
  for (let at = buffer.indexOf(0x0a); at >= 0 && at < end; at = buffer.indexOf(0x0a, at + 1)) count++;
  return count;
}

function refuseUtf16(head: Buffer): void {
  const utf16Bom =
    (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)
      ? 'a UTF-16 byte order mark'
      : '';
  const nul = head.subarray(0, 4096).indexOf(0) >= 0 ? 'NUL bytes near the start' : '';
  const why = utf16Bom || nul;
  if (!why) return;
  throw new ImportUsageError(
    `the file starts with ${why}: it looks like UTF-16, and imports read UTF-8; convert it first, ` +
      'e.g. iconv -f UTF-16 -t UTF-8 in.csv > out.csv',
  );
}

/**
 * Reads the whole file once and refuses it, before anything is imported, if it is not UTF-8:
 * a Latin-1 or UTF-16 file would otherwise import half its rows with mangled text. A UTF-8
 * byte order mark is accepted.
 */
export async function checkUtf8(path: string): Promise<void> {
  let carry = Buffer.alloc(0);
  let linesBefore = 0;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    if (first) refuseUtf16(chunk);
    first = false;
    const buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const complete = completeUtf8Length(buffer);
    const piece = buffer.subarray(0, complete);
    if (!isUtf8(piece)) throw notUtf8(piece, linesBefore);
    linesBefore += countNewlines(piece);
    carry = Buffer.from(buffer.subarray(complete));
  }
  if (carry.length > 0) throw notUtf8(carry, linesBefore);
}

function notUtf8(piece: Buffer, linesBefore: number): ImportUsageError {
  let lineStart = 0;
  let line = linesBefore + 1;
  for (;;) {
    const end = piece.indexOf(0x0a, lineStart);
    const lineBytes = piece.subarray(lineStart, end < 0 ? piece.length : end);
    if (!isUtf8(lineBytes) || end < 0) break;
    lineStart = end + 1;
    line++;
  }
  return new ImportUsageError(
    `line ${line} is not valid UTF-8 (is the file Latin-1 or Windows-1252?); nothing was imported. ` +
      'Convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv',
  );
}

export interface SourceLine {
  /** 1-based line number in the file. */
  line: number;
  /** The line's text, or undefined when it was longer than the limit (then `bytes` says how long). */
  text: string | undefined;
  bytes: number;
  /** Byte offset just after this line's newline: where a resume starts. */
  endOffset: number;
}

export interface LinePosition {
  offset: number;
  line: number;
}

/**
 * The file's non-blank lines from `start`, in arrays of whatever one read returned. A line
 * over `maxLineBytes` is reported with its length but never held in memory whole, so a file
 * without newlines cannot exhaust memory.
 */
export async function* readJsonLines(
  path: string,
  start: LinePosition,
  maxLineBytes: number,
): AsyncGenerator<SourceLine[]> {
  let offset = start.offset;
  let line = start.line;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overlong = false;
  let atFileStart = start.offset === 0;
  const stream = createReadStream(path, { start: start.offset, highWaterMark: CHUNK_BYTES });
  for await (const read of stream as AsyncIterable<Buffer>) {
    let chunk = read;
    if (atFileStart && chunk.subarray(0, 3).equals(BOM)) {
      chunk = chunk.subarray(3);
      offset += 3;
    }
    atFileStart = false;
    const lines: SourceLine[] = [];
    let from = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, from)) {
      const piece = chunk.subarray(from, newline);
      const bytes = partBytes + piece.length;
      offset += piece.length + 1;
      line++;
      if (overlong || bytes > maxLineBytes) {
        lines.push({ line, text: undefined, bytes, endOffset: offset });
      } else {
        const whole = parts.length > 0 ? Buffer.concat([...parts, piece]) : piece;
        const text = whole.toString('utf8').replace(/\r$/, '');
        if (text.trim() !== '') lines.push({ line, text, bytes, endOffset: offset });
      }
      parts = [];
      partBytes = 0;
      overlong = false;
      from = newline + 1;
    }
    const rest = chunk.subarray(from);
    partBytes += rest.length;
    offset += rest.length;
    if (partBytes > maxLineBytes) {
      overlong = true;
      parts = [];
    } else if (rest.length > 0) {
      parts.push(Buffer.from(rest));
    }
    if (lines.length > 0) yield lines;
  }
  if (partBytes > 0) {
    line++;
    const text = overlong ? undefined : Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
    if (text === undefined || text.trim() !== '') yield [{ line, text, bytes: partBytes, endOffset: offset }];
  }
}

/**
 * The CSV header: the first line, read with a byte cap and a column cap, so a file with a
 * million columns is refused with a clear limit instead of exhausting memory. (A header must
 * be one line; quoted newlines belong in data rows.)
 */
export async function readCsvHeader(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(MAX_HEADER_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, 3).equals(BOM)) head = head.subarray(3);
  const newline = head.indexOf(0x0a);
  if (newline < 0 && head.length > MAX_HEADER_BYTES) {
    throw new ImportUsageError(
      `the CSV header is longer than ${MAX_HEADER_BYTES / 1024 / 1024} MB; an import takes at most ${MAX_COLUMNS} columns`,
    );
  }
  const headerText = head
    .subarray(0, newline < 0 ? head.length : newline)
    .toString('utf8')
    .replace(/\r$/, '');
  if (headerText.trim() === '')
    throw new ImportUsageError('the CSV file is empty: the first line must name the columns');
  let columnCount = 1;
  for (let at = headerText.indexOf(','); at >= 0; at = headerText.indexOf(',', at + 1)) columnCount++;
  if (columnCount > MAX_COLUMNS) {
    throw new ImportUsageError(
      `the CSV header has ${columnCount} columns; an import takes at most ${MAX_COLUMNS}`,
    );
  }
  let rows: string[][];
  try {
    rows = parseCsvSync(headerText, { relax_quotes: true }) as string[][];
  } catch (error) {
    throw new ImportUsageError(`the CSV header cannot be read: ${(error as Error).message}`);
  }
  return (rows[0] ?? []).map((column) => column.trim());
}
