// The PostgreSQL side of consent, computed properties, profile search and erasure. Each
// function takes a PgQueryable, like profiles.ts, so it runs on the pool or inside a
// processor's transaction.
import type pg from 'pg';
import type {
  ComputedProperty,
  ConsentRecord,
  ConsentState,
  ProfileRow,
  ProfileSearch,
  StoredConsentRecord,
} from '../types.ts';

import { inTransaction } from './connection.ts';
import { type ProfileDbRow, toProfile } from './rows.ts';
import {
  type PgQueryable,
  type PostgresTables,
  quoteIdent,
  storableJson,
  storableText,
  toIso,
  toNumber,
} from './sql.ts';
import { traitTextContains } from './trait-search.ts';

const texts = (items: readonly string[]) => [...new Set(items)].map((item) => storableText(item));

export async function appendConsentHistory(
  db: PgQueryable,
  tables: PostgresTables,
  rows: ConsentRecord[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO ${tables.consentHistory} (profile_id, purpose, state, at, source, message_id, note)
     SELECT profile_id, purpose, state, at, source, message_id, note
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[])
       WITH ORDINALITY AS batch(profile_id, purpose, state, at, source, message_id, note, ord)
     ORDER BY ord`,
    [
      rows.map((r) => storableText(r.profileId)),
      rows.map((r) => storableText(r.purpose)),
      rows.map((r) => r.state),
      rows.map((r) => r.at),
      rows.map((r) => storableText(r.source)),
      rows.map((r) => storableText(r.messageId)),
      rows.map((r) => (r.note == null ? null : storableText(r.note))),
    ],
  );
}

export async function consentHistoryOf(
  db: PgQueryable,
  tables: PostgresTables,
  profileIds: string[],
): Promise<StoredConsentRecord[]> {
  if (profileIds.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    profile_id: string;
    purpose: string;
    state: ConsentState;
    at: Date;
    source: string;
    message_id: string;
    note: string | null;
  }>(
    `SELECT id, profile_id, purpose, state, at, source, message_id, note FROM ${tables.consentHistory}
     WHERE profile_id = ANY($1::text[]) ORDER BY id`,
    [texts(profileIds)],
  );
  return rows.map((row) => ({
    id: toNumber(row.id),
    profileId: row.profile_id,
    purpose: row.purpose,
    state: row.state,
    at: toIso(row.at),
    source: row.source,
    messageId: row.message_id,
    note: row.note,
  }));
}

export async function profilesByConsent(
  db: PgQueryable,
  tables: PostgresTables,
  purpose: string,
  state: ConsentState,
): Promise<string[]> {
  // The live profiles in that state, then, level by level, the profiles merged into them. Not a
  // recursive CTE: Citus runs those only when they filter on the distribution column.
  const live = await db.query<{ id: string }>(
    `SELECT profile_id AS id FROM ${tables.profiles}
     WHERE merged_into IS NULL AND coalesce(consent -> $1 ->> 'state', 'unknown') = $2`,
    [storableText(purpose), state],
  );
  const chosen = new Set(live.rows.map((row) => row.id));
  let level = [...chosen];
  while (level.length > 0) {
    const merged = await db.query<{ id: string }>(
      `SELECT profile_id AS id FROM ${tables.profiles} WHERE merged_into = ANY($1::text[])`,
      [level],
    );
    level = merged.rows.map((row) => row.id).filter((id) => !chosen.has(id));
    for (const id of level) chosen.add(id);
  }
  return [...chosen].sort(byteOrder);
}

/** ORDER BY … COLLATE "C", as the engines agree on. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export async function setComputedProperties(
  db: PgQueryable,
  tables: PostgresTables,
  rows: ComputedProperty[],
): Promise<void> {
  if (rows.length === 0) return;
  // One row per key, as ON CONFLICT DO UPDATE may not touch a row twice in one statement.
  const byKey = new Map(rows.map((row) => [JSON.stringify([row.profileId, row.name]), row]));
  const unique = [...byKey.values()];
  await db.query(
    `INSERT INTO ${tables.computedProperties} (profile_id, name, value, computed_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[])
     ON CONFLICT (profile_id, name) DO UPDATE SET value = excluded.value, computed_at = excluded.computed_at`,
    [
      unique.map((r) => storableText(r.profileId)),
      unique.map((r) => storableText(r.name)),
      unique.map((r) => storableJson(r.value ?? null)),
      unique.map((r) => r.computedAt),
    ],
  );
}

export async function computedPropertiesOf(
  db: PgQueryable,
  tables: PostgresTables,
  profileIds: string[],
): Promise<ComputedProperty[]> {
  if (profileIds.length === 0) return [];
  const { rows } = await db.query<{ profile_id: string; name: string; value: unknown; computed_at: Date }>(
    `SELECT profile_id, name, value, computed_at FROM ${tables.computedProperties}
     WHERE profile_id = ANY($1::text[]) ORDER BY profile_id COLLATE "C", name COLLATE "C"`,
    [texts(profileIds)],
  );
  return rows.map((row) => ({
    profileId: row.profile_id,
    name: row.name,
    value: row.value,
    computedAt: toIso(row.computed_at),
  }));
}

export async function searchProfiles(
  db: PgQueryable,
  tables: PostgresTables,
  search: ProfileSearch,
): Promise<ProfileRow[]> {
  const values: unknown[] = [];
  const bind = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = ['merged_into IS NULL'];
  if (search.profileIds) {
    if (search.profileIds.length === 0) return [];
    where.push(`profile_id = ANY(${bind(texts(search.profileIds))}::text[])`);
  }
  if (search.containing) {
    const contains = traitTextContains(tables.profileTraitText, search.containing);
    where.push(contains.sql.replace('?', () => bind(contains.param)));
  }
  for (const [key, value] of Object.entries(search.traits ?? {})) {
    where.push(`traits -> ${bind(storableText(key))}::text ->> 'value' = ${bind(storableText(value))}`);
  }
  if (search.lastSeenAfter) where.push(`last_seen > ${bind(search.lastSeenAfter)}::timestamptz`);
  if (search.lastSeenBefore) where.push(`last_seen < ${bind(search.lastSeenBefore)}::timestamptz`);
  if (search.afterId !== undefined) {
    where.push(`profile_id COLLATE "C" > ${bind(storableText(search.afterId))}`);
  }
  const limit = bind(Math.max(1, Math.floor(search.limit)));
  const { rows } = await db.query<ProfileDbRow>(
    `SELECT profile_id, created_at, first_seen, last_seen, event_count, traits, "groups", merged_into, consent
     FROM ${tables.profiles} WHERE ${where.join(' AND ')} ORDER BY profile_id COLLATE "C" LIMIT ${limit}`,
    values,
  );
  return rows.map(toProfile);
}

/** Tables of the schema with a profile_id column: DESIGN.md's rule for customer data. */
async function tablesWithProfileId(db: PgQueryable, schema: string): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = $1 AND c.column_name = 'profile_id' AND t.table_type = 'BASE TABLE'
     ORDER BY c.table_name`,
    [schema],
  );
  return rows.map((row) => `${quoteIdent(schema)}.${quoteIdent(row.table_name)}`);
}

export async function eraseProfiles(
  pool: pg.Pool,
  tables: PostgresTables,
  schema: string,
  profileIds: string[],
): Promise<number> {
  if (profileIds.length === 0) return 0;
  const ids = texts(profileIds);
  return inTransaction(pool, async (client) => {
    let removed = 0;
    // The events table has profile_id too when it shares the schema; the event store erases it.
    const held = (await tablesWithProfileId(client, schema)).filter((table) => table !== tables.events);
    for (const table of held) {
      const result = await client.query(`DELETE FROM ${table} WHERE profile_id = ANY($1::text[])`, [ids]);
      removed += result.rowCount ?? 0;
    }
    const merges = await client.query(
      `DELETE FROM ${tables.merges} WHERE winner_id = ANY($1::text[]) OR loser_id = ANY($1::text[])`,
      [ids],
    );
    return removed + (merges.rowCount ?? 0);
  });
}

/**
 * What an erasure runs so that deleted rows' bytes leave the relation files. A plain VACUUM
 * removes dead row versions and their index entries but leaves their bytes in the pages' free
 * space; VACUUM FULL writes each table (with its TOAST and indexes) into new files and unlinks
 * the old ones, holding an ACCESS EXCLUSIVE lock meanwhile. So: VACUUM FULL for the state's
 * tables (small beside the two below; their lock is short), and for the append-only ingest
 * log and events, which every request and processor writes, a plain VACUUM: the residue in
 * their heap's free space is stated in docs/privacy.md, for the operator to clear, while their
indexes are rebuilt concurrently. ANALYZE afterwards
 * replaces the samples pg_stats keeps (most common values, histogram bounds).
 */
export async function vacuumSchema(
  pool: pg.Pool,
  schema: string,
  appendOnly: readonly string[],
  retry: VacuumRetry = DEFAULT_VACUUM_RETRY,
): Promise<void> {
  const { rows } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'
     ORDER BY table_name`,
    [schema],
  );
  const client = await pool.connect();
  try {
    // A VACUUM FULL queued for its lock makes every later reader of the table queue behind it.
    // A processor that holds the table inside a transaction while it waits (in Node) for another
    // of its queries on the same table would then wait forever, and the VACUUM with it: neither
    // PostgreSQL nor Node sees that cycle. So the VACUUM gives up its place after a short wait
    // and tries again, letting the queue behind it drain.
    await client.query(`SET lock_timeout = '${retry.lockTimeoutMs}ms'`);
    for (const { table_name } of rows) {
      const table = `${quoteIdent(schema)}.${quoteIdent(table_name)}`;
      const full = !appendOnly.includes(table_name);
      await withLockRetry(retry, () => client.query(`VACUUM (${full ? 'FULL, ' : ''}ANALYZE) ${table}`));
      // Their indexes are rebuilt into new files without blocking writes (old files unlinked).
      // Without the timeout: a REINDEX CONCURRENTLY stopped half-way leaves an invalid index
      // behind, and it queues nobody behind it (its lock does not conflict with writes).
      if (!full) {
        await client.query('SET lock_timeout = 0');
        await client.query(`REINDEX TABLE CONCURRENTLY ${table}`);
        await client.query(`SET lock_timeout = '${retry.lockTimeoutMs}ms'`);
      }
    }
  } finally {
    await client.query('RESET lock_timeout').catch(() => {});
    client.release();
  }
}

/** How long a VACUUM waits for its lock before stepping back, and how often it tries. */
export interface VacuumRetry {
  lockTimeoutMs: number;
  attempts: number;
  backoffMs: number;
}

const DEFAULT_VACUUM_RETRY: VacuumRetry = { lockTimeoutMs: 2000, attempts: 60, backoffMs: 250 };

const LOCK_NOT_AVAILABLE = '55P03';

async function withLockRetry(retry: VacuumRetry, run: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== LOCK_NOT_AVAILABLE || attempt >= retry.attempts) throw error;
      // Jittered, so two erasures do not keep colliding with the same processor's rhythm.
      await new Promise((resolve) => setTimeout(resolve, retry.backoffMs * (1 + Math.random())));
    }
  }
}
