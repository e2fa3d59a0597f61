// The SQLite side of consent, computed properties, profile search and erasure. Plain
// functions over one connection; SqliteStateStore delegates to them.
import type {
  ComputedProperty,
  ConsentRecord,
  ConsentState,
  ProfileSearch,
  StoredConsentRecord,
} from '../types.ts';

import { chunk, type SqliteDatabase } from './connection.ts';
import { traitTextContains } from './trait-search.ts';

const marks = (items: unknown[]) => items.map(() => '?').join(',');

/** A JSON path to one key, for keys we have checked hold no quote or backslash. */
export function jsonKeyPath(key: string, rest = ''): string {
  if (/["\\]/.test(key)) throw new Error(`a trait or purpose name may not contain " or \\ (got ${key})`);
  return `$."${key}"${rest}`;
}

export function appendConsentHistory(db: SqliteDatabase, rows: ConsentRecord[]): void {
  if (rows.length === 0) return;
  const insert = db.prepare(
    'INSERT INTO consent_history (profile_id, purpose, state, at, source, message_id, note) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (const row of rows)
    insert.run(row.profileId, row.purpose, row.state, row.at, row.source, row.messageId, row.note ?? null);
}

interface ConsentDbRow {
  id: number;
  profile_id: string;
  purpose: string;
  state: ConsentState;
  at: string;
  source: string;
  message_id: string;
  note: string | null;
}

export function consentHistoryOf(db: SqliteDatabase, profileIds: string[]): StoredConsentRecord[] {
  const rows: StoredConsentRecord[] = [];
  for (const part of chunk([...new Set(profileIds)])) {
    const sql = `SELECT * FROM consent_history WHERE profile_id IN (${marks(part)}) ORDER BY id`;
    for (const row of db.prepare(sql).all(...part) as ConsentDbRow[]) {
      rows.push({
        id: row.id,
        profileId: row.profile_id,
        purpose: row.purpose,
        state: row.state,
        at: row.at,
        source: row.source,
        messageId: row.message_id,
        note: row.note,
      });
    }
  }
  return rows.sort((a, b) => a.id - b.id);
}

export function profilesByConsent(db: SqliteDatabase, purpose: string, state: ConsentState): string[] {
  const rows = db
    .prepare(
      `WITH RECURSIVE chosen(id) AS (
         SELECT profile_id FROM profiles
         WHERE merged_into IS NULL AND coalesce(consent ->> ?, 'unknown') = ?
         UNION
         SELECT p.profile_id FROM profiles p JOIN chosen c ON p.merged_into = c.id
       )
       SELECT id FROM chosen ORDER BY id`,
    )
    .all(jsonKeyPath(purpose, '.state'), state) as { id: string }[];
  return rows.map((row) => row.id);
}

export function setComputedProperties(db: SqliteDatabase, rows: ComputedProperty[]): void {
  const upsert = db.prepare(
    `INSERT INTO computed_properties (profile_id, name, value, computed_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (profile_id, name) DO UPDATE SET value = excluded.value, computed_at = excluded.computed_at`,
  );
  db.transaction(() => {
    for (const row of rows) {
      upsert.run(row.profileId, row.name, JSON.stringify(row.value ?? null), row.computedAt);
    }
  }).immediate();
}

export function computedPropertiesOf(db: SqliteDatabase, profileIds: string[]): ComputedProperty[] {
  const rows: ComputedProperty[] = [];
  for (const part of chunk([...new Set(profileIds)])) {
    const sql = `SELECT * FROM computed_properties WHERE profile_id IN (${marks(part)}) ORDER BY profile_id, name`;
    const found = db.prepare(sql).all(...part) as {
      profile_id: string;
      name: string;
      value: string;
      computed_at: string;
    }[];
    for (const row of found) {
      rows.push({
        profileId: row.profile_id,
        name: row.name,
        value: JSON.parse(row.value),
        computedAt: row.computed_at,
      });
    }
  }
  return rows;
}

/** Rows of `profiles`; the store maps them. Trait values compare as text, like PostgreSQL's ->>. */
export function searchProfiles(db: SqliteDatabase, search: ProfileSearch): unknown[] {
  const where = ['merged_into IS NULL'];
  const params: unknown[] = [];
  if (search.profileIds) {
    if (search.profileIds.length === 0) return [];
    where.push(`profile_id IN (${marks(search.profileIds)})`);
    params.push(...search.profileIds);
  }
  if (search.containing) {
    const contains = traitTextContains(search.containing);
    where.push(contains.sql);
    params.push(contains.param);
  }
  for (const [key, value] of Object.entries(search.traits ?? {})) {
    // ->> gives strings unquoted; -> gives numbers and booleans as JSON text ('42', 'true').
    const path = jsonKeyPath(key, '.value');
    where.push('(traits ->> ? = ? OR traits -> ? = ?)');
    params.push(path, value, path, value);
  }
  if (search.lastSeenAfter) {
    where.push('last_seen > ?');
    params.push(search.lastSeenAfter);
  }
  if (search.lastSeenBefore) {
    where.push('last_seen < ?');
    params.push(search.lastSeenBefore);
  }
  if (search.afterId !== undefined) {
    where.push('profile_id > ?');
    params.push(search.afterId);
  }
  params.push(Math.max(1, Math.floor(search.limit)));
  return db
    .prepare(`SELECT * FROM profiles WHERE ${where.join(' AND ')} ORDER BY profile_id LIMIT ?`)
    .all(...params);
}

/**
 * Deletes with secure_delete on (freed pages are zeroed, not left readable in the file) and
 * checkpoints the WAL afterwards so the old page images leave it too.
 */
export function secureDelete(db: SqliteDatabase, work: () => number): number {
  db.pragma('secure_delete = ON');
  const removed = db.transaction(work).immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
  return removed;
}

const WAL_TRUNCATE_TRIES = 100;

/**
 * Copies the WAL into the database file and truncates it to zero bytes, so the page images it
 * held (earlier versions of erased rows among them) leave the disk. A reader in another
 * connection can hold the checkpoint back: tried again, with a pause, until it goes through.
 */
export async function truncateWal(db: SqliteDatabase, file: string): Promise<void> {
  for (let attempt = 0; attempt < WAL_TRUNCATE_TRIES; attempt++) {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (result?.busy === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw Object.assign(new Error(`${file}: the WAL could not be truncated (readers kept it busy); retry`), {
    code: 'SQLITE_BUSY',
  });
}

/** Tables with a profile_id column: DESIGN.md's rule makes them the ones holding customer data. */
function tablesWithProfileId(db: SqliteDatabase): string[] {
  const rows = db
    .prepare(
      `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
       WHERE m.type = 'table' AND c.name = 'profile_id' ORDER BY m.name`,
    )
    .all() as { name: string }[];
  return rows.map((row) => row.name);
}

/** Tables whose rows are derived from a profile's (kept by triggers), not data of their own. */
const DERIVED_TABLES = new Set(['profile_search']);

export function eraseProfiles(db: SqliteDatabase, profileIds: string[]): number {
  const ids = [...new Set(profileIds)];
  return secureDelete(db, () => {
    let removed = 0;
    const tables = tablesWithProfileId(db);
    for (const part of chunk(ids, 250)) {
      const list = marks(part);
      for (const table of tables) {
        const sql = `DELETE FROM "${table.replaceAll('"', '""')}" WHERE profile_id IN (${list})`;
        const changes = db.prepare(sql).run(...part).changes;
        // The search index is a copy of the traits: deleted with them, not counted twice.
        if (!DERIVED_TABLES.has(table)) removed += changes;
      }
      removed += db
        .prepare(`DELETE FROM merges WHERE winner_id IN (${list}) OR loser_id IN (${list})`)
        .run(...part, ...part).changes;
    }
    return removed;
  });
}
