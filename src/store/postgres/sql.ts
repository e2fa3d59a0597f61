// Pure helpers for the PostgreSQL adapters: identifier quoting, values PostgreSQL can store,
// batching. No driver here (its types only), so all of it is unit-tested without a database.
import type pg from 'pg';

export const DEFAULT_SCHEMA = 'rapport';

/** The slice of pg the queries need: a pool, or one client checked out of it for a transaction. */
export interface PgQueryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/**
 * Class id for our advisory locks (the bytes of 'RAPP'), so they cannot collide with another
 * application's single-key locks on the same database; the second key is hashtext(name).
 */
export const ADVISORY_LOCK_CLASS = 0x52415050;

/** `SELECT pg_advisory_xact_lock(class, hashtext(name))` with the two parameters below. */
export const ADVISORY_XACT_LOCK_SQL = 'SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))';

export function advisoryLockParams(name: string): [number, string] {
  return [ADVISORY_LOCK_CLASS, name];
}

/**
 * Creates a processor's offset row if it is missing, as its own statement before the step's
 * transaction, so `FOR UPDATE SKIP LOCKED` always has a committed row to lock or skip.
 * `VALUES … ON CONFLICT DO NOTHING` alone is not enough: its unique check waits for any
 * transaction that has updated the existing row, so a peer would block behind a running step
 * instead of skipping it. The NOT EXISTS reads the committed row from its snapshot and inserts
 * nothing; ON CONFLICT stays for two processes creating the row at once.
 */
export function ensureOffsetRowSql(table: string): string {
  return `INSERT INTO ${table} (processor, seq) SELECT $1, 0
    WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE processor = $1) ON CONFLICT DO NOTHING`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Fully qualified table names, so a shared pool needs no search_path. */
export function tablesIn(schema: string) {
  const table = (name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
  return {
    logBatches: table('log_batches'),
    logMessageIds: table('log_message_ids'),
    deadLetters: table('dead_letters'),
    logCompaction: table('log_compaction'),
    processorOffsets: table('processor_offsets'),
    profiles: table('profiles'),
    /** The function the trait-text search index is built on (state migration 7). */
    profileTraitText: `${quoteIdent(schema)}.profile_trait_text`,
    identities: table('identities'),
    merges: table('merges'),
    credentials: table('credentials'),
    consentHistory: table('consent_history'),
    computedProperties: table('computed_properties'),
    suppressions: table('suppressions'),
    erasureJobs: table('erasure_jobs'),
    reports: table('reports'),
    reportPoints: table('report_points'),
    quarantine: table('quarantine'),
    events: table('events'),
    eventProcessorOffsets: table('event_processor_offsets'),
  };
}

export type PostgresTables = ReturnType<typeof tablesIn>;

/** PostgreSQL text cannot hold U+0000; the ingest path already replaces it, this is the guard. */
export function storableText(text: string): string;
export function storableText(text: string | null): string | null;
export function storableText(text: string | null): string | null {
  if (text === null || !text.includes('\u0000')) return text;
  return text.replaceAll('\u0000', '\uFFFD');
}

// JSON.stringify escapes U+0000 as \u0000 and lone surrogates as \udXXX, and writes valid
// surrogate pairs raw, so these escapes in its output are exactly what jsonb would reject
// (a literal backslash-u in a string shows up as \\u and only causes a harmless slow path).
const UNSTORABLE_JSON_ESCAPE = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;
// With the u flag a valid surrogate pair is one code point, so only lone halves match.
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what we look for
const UNSTORABLE_CHARS = /[\u0000\uD800-\uDFFF]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what we look for
const UNSTORABLE_CHARS_ALL = /[\u0000\uD800-\uDFFF]/gu;

function storableString(text: string): string {
  return UNSTORABLE_CHARS.test(text) ? text.replace(UNSTORABLE_CHARS_ALL, '\uFFFD') : text;
}

function storableReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return storableString(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (!keys.some((key) => UNSTORABLE_CHARS.test(key))) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storableString(key), inner]));
}

/** Whether JSON text (JSON.stringify's, or a client's valid JSON) is one jsonb accepts as it is. */
export function isStorableJson(json: string): boolean {
  return !UNSTORABLE_JSON_ESCAPE.test(json);
}

/**
 * JSON text jsonb accepts: U+0000 and lone surrogates, in values or keys, become U+FFFD (the
 * same rule as the ingest path). Clean input, the usual case, is serialised once.
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  if (isStorableJson(json)) return json;
  return JSON.stringify(value, storableReplacer);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * One item per key, the last one winning, sorted by key. An upsert with ON CONFLICT DO UPDATE
 * refuses to touch a row twice in one statement (SQLite's row-by-row upserts let the last win),
 * and a stable key order makes concurrent writers lock rows in the same order (no deadlock).
 */
export function lastByKey<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(keyOf(item), item);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

/** pg returns bigint and count(*) as strings; everything numeric we store fits a double. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** pg returns timestamptz as a Date (or a string when a custom type parser is installed). */
export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function toIsoOrNull(value: Date | string | null): string | null {
  return value === null ? null : toIso(value);
}
