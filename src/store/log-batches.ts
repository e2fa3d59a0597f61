// The log written per request, as both engines store it (docs/architecture.md): the messages of one request share a row, their JSON one per
// line and their messageIds as a JSON array, addressed by (batch, index) with contiguous seqs
// ending at the row's last_seq. These are the pure parts: how entries group into rows, how a
// row reads back as one record per message, and how a row loses single messages.
import type { LogEntry, SparseLogRecord } from './types.ts';

/** A stored batch as the store reads it; `body` null when it was not fetched. */
export interface StoredBatch {
  lastSeq: number;
  span: number;
  live: number;
  source: string;
  receivedAt: string;
  messageIds: string;
  /**
   * The messages' JSON: the embedded log reads it as its UTF-8 bytes (bodyLines); PostgreSQL's
   * readContaining as the lines holding the needle, already split (absent where not).
   */
  body: string | Buffer | Array<string | null> | null;
}

/**
 * A batch's messages: their ids (null where removed) and JSON (null where removed or not
 * fetched). With `needle`, only the messages whose JSON contains it carry their JSON; on a
 * body read as bytes, the others are not even decoded (readContaining).
 */
export function messagesOf(
  batch: Pick<StoredBatch, 'span' | 'messageIds' | 'body'>,
  needle?: string,
): {
  ids: Array<string | null>;
  bodies: Array<string | null> | null;
} {
  const ids = JSON.parse(batch.messageIds) as Array<string | null>;
  if (batch.body === null) return { ids, bodies: null };
  if (Array.isArray(batch.body)) return { ids, bodies: batch.body };
  if (typeof batch.body !== 'string') {
    const bodies =
      needle === undefined
        ? bodyLines(batch.body, batch.span)
        : bodyLinesContaining(batch.body, batch.span, Buffer.from(needle, 'utf8'));
    return { ids, bodies };
  }
  // A batch of one holds its message as it is (it may contain a newline); a longer one, one per line.
  const lines = batch.span === 1 ? [batch.body] : batch.body.split('\n');
  if (needle === undefined) return { ids, bodies: lines };
  return { ids, bodies: lines.map((line) => (line.includes(needle) ? line : null)) };
}

/**
 * The body's lines, each decoded on its own. One non-ASCII character (a page title's dash)
 * makes a whole decoded body a two-byte string, ten times slower to decode and slower to
 * JSON.parse in every line split from it; decoded line by line, only the lines that hold one
 * pay that (docs/performance.md, "Ingest": 12.7 → 7.0 µs a message to read and parse). A
 * newline byte never occurs inside a multi-byte UTF-8 character, so the split is exact.
 */
function bodyLines(body: Buffer, span: number): string[] {
  if (span === 1) return [body.toString('utf8')];
  const lines: string[] = [];
  let start = 0;
  for (let end = body.indexOf(10, start); end !== -1; end = body.indexOf(10, start)) {
    lines.push(body.toString('utf8', start, end));
    start = end + 1;
  }
  lines.push(body.toString('utf8', start));
  return lines;
}

/**
 * bodyLines, except that a line is decoded only when its bytes contain the needle's (null
 * otherwise): the needle is searched in the bytes, not in decoded text. For valid UTF-8 the
 * two agree, since one character's bytes never start inside another's. A match that runs
 * across a newline belongs to no line, as `includes` on the split lines would find.
 */
function bodyLinesContaining(body: Buffer, span: number, needle: Buffer): Array<string | null> {
  if (span === 1) return [body.indexOf(needle) === -1 ? null : body.toString('utf8')];
  const lines: Array<string | null> = [];
  let hit = body.indexOf(needle);
  let start = 0;
  while (start <= body.length) {
    const newline = body.indexOf(10, start);
    const end = newline === -1 ? body.length : newline;
    if (hit !== -1 && hit < start) hit = body.indexOf(needle, start);
    // No match left: the remaining lines are absent (null), and need not be walked.
    if (hit === -1) break;
    lines.push(hit + needle.length <= end ? body.toString('utf8', start, end) : null);
    if (newline === -1) break;
    start = end + 1;
  }
  return lines;
}

/**
 * Splits entries into batches: consecutive entries of one request (same source and
 * receivedAt) share a row. An entry whose JSON holds a newline (JSON.stringify never writes
 * one, but a caller may) gets a row of its own, so the one-per-line body stays unambiguous.
 */
export function batchesOf(entries: readonly LogEntry[]): LogEntry[][] {
  const batches: LogEntry[][] = [];
  let current: LogEntry[] = [];
  for (const entry of entries) {
    const head = current[0];
    const joins =
      head !== undefined &&
      head.source === entry.source &&
      head.receivedAt === entry.receivedAt &&
      !entry.json.includes('\n') &&
      !(current.length === 1 && head.json.includes('\n'));
    if (!joins && current.length > 0) {
      batches.push(current);
      current = [];
    }
    current.push(entry);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A batch to write: its last seq and what the row holds. */
export interface NewBatch {
  lastSeq: number;
  span: number;
  source: string;
  receivedAt: string;
  messageIds: string;
  body: string;
}

/**
 * The rows an append writes after `head`: each request's messages not `known` and not seen
 * earlier in the same append, with contiguous seqs from head + 1. `accepted` lists the new
 * messageIds in seq order.
 */
export function planBatches(
  entries: readonly LogEntry[],
  head: number,
  known: Pick<ReadonlySet<string>, 'has'>,
): { batches: NewBatch[]; accepted: string[] } {
  // `known` may be a large set (the embedded log's recent ids and its index hits): asked, never copied.
  const seen = new Set<string>();
  const batches: NewBatch[] = [];
  const accepted: string[] = [];
  let seq = head;
  for (const batch of batchesOf(entries)) {
    const ids: string[] = [];
    const bodies: string[] = [];
    for (const entry of batch) {
      if (known.has(entry.messageId) || seen.has(entry.messageId)) continue;
      seen.add(entry.messageId);
      ids.push(entry.messageId);
      bodies.push(entry.json);
    }
    if (ids.length === 0) continue;
    const first = batch[0] as LogEntry;
    seq += ids.length;
    accepted.push(...ids);
    batches.push({
      lastSeq: seq,
      span: ids.length,
      source: first.source,
      receivedAt: first.receivedAt,
      messageIds: JSON.stringify(ids),
      body: bodies.join('\n'),
    });
  }
  return { batches, accepted };
}

/**
 * The records of batches read in seq order after `afterSeq`, at most `limit`; with `needle`,
 * only the records whose JSON contains it carry their JSON (readContaining).
 */
export function recordsOf(
  batches: Iterable<StoredBatch>,
  afterSeq: number,
  limit: number,
  needle?: string,
): SparseLogRecord[] {
  const records: SparseLogRecord[] = [];
  if (limit <= 0) return records;
  for (const batch of batches) {
    const { ids, bodies } = messagesOf(batch, needle);
    const first = batch.lastSeq - batch.span + 1;
    for (let index = Math.max(0, afterSeq + 1 - first); index < ids.length; index++) {
      const messageId = ids[index];
      if (messageId === null || messageId === undefined) continue;
      const json = bodies?.[index] ?? null;
      records.push({
        seq: first + index,
        messageId,
        source: batch.source,
        receivedAt: batch.receivedAt,
        json,
      });
      if (records.length >= limit) return records;
    }
  }
  return records;
}

/**
 * A batch without the messages whose seq `removes` (their id and bytes gone, the others keep
 * their seqs): the ids removed, and the row's new content, or null when no message is left
 * (callers write nothing when none was removed).
 */
export function withoutMessages(
  batch: StoredBatch,
  removes: (seq: number) => boolean,
): { removed: string[]; rest: { live: number; messageIds: string; body: string } | null } {
  const { ids, bodies } = messagesOf(batch);
  const first = batch.lastSeq - batch.span + 1;
  const removed: string[] = [];
  ids.forEach((id, index) => {
    if (id === null || !removes(first + index)) return;
    removed.push(id);
    ids[index] = null;
    if (bodies) bodies[index] = '';
  });
  const live = batch.live - removed.length;
  if (live <= 0) return { removed, rest: null };
  return { removed, rest: { live, messageIds: JSON.stringify(ids), body: (bodies ?? []).join('\n') } };
}
