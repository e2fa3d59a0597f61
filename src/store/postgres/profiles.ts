// Profile, identity and merge queries. Each takes a PgQueryable so the same code runs on the
// pool (plain reads) and on the one client holding a processor's transaction.
import type { IdentityKey, IdentityRow, ProfileChanges, ProfileRow, StoredMergeRecord } from '../types.ts';
import { appendConsentHistory } from './privacy.ts';
import {
  type IdentityDbRow,
  type MergeDbRow,
  type ProfileDbRow,
  toIdentity,
  toMerge,
  toProfile,
} from './rows.ts';
import {
  chunk,
  lastByKey,
  type PgQueryable,
  type PostgresTables,
  storableJson,
  storableText,
} from './sql.ts';

/** Rows per statement: a batch can carry thousands of changes; arrays keep it to a few parameters. */
export const PROFILE_WRITE_ROWS = 2000;

export const PROFILE_COLUMNS =
  'profile_id, created_at, first_seen, last_seen, event_count, traits, "groups", merged_into, consent';
const IDENTITY_COLUMNS = 'kind, value, profile_id, first_seen';

export async function findIdentities(
  db: PgQueryable,
  tables: PostgresTables,
  keys: IdentityKey[],
): Promise<IdentityRow[]> {
  if (keys.length === 0) return [];
  // One row per key found, in the order asked (what SQLite's lookup loop returns).
  const { rows } = await db.query<IdentityDbRow>(
    `SELECT i.kind, i.value, i.profile_id, i.first_seen
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(kind, value, ord)
     JOIN ${tables.identities} i ON i.kind = k.kind AND i.value = k.value
     ORDER BY k.ord`,
    [keys.map((key) => storableText(key.kind)), keys.map((key) => storableText(key.value))],
  );
  return rows.map(toIdentity);
}

export async function identitiesOfProfiles(
  db: PgQueryable,
  tables: PostgresTables,
  profileIds: string[],
): Promise<IdentityRow[]> {
  if (profileIds.length === 0) return [];
  // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
  const { rows } = await db.query<IdentityDbRow>(
    `SELECT ${IDENTITY_COLUMNS} FROM ${tables.identities} WHERE profile_id = ANY($1::text[])
     ORDER BY kind COLLATE "C", value COLLATE "C"`,
    [[...new Set(profileIds)].map((id) => storableText(id))],
  );
  return rows.map(toIdentity);
}

export async function loadProfiles(
  db: PgQueryable,
  tables: PostgresTables,
  profileIds: string[],
): Promise<ProfileRow[]> {
  if (profileIds.length === 0) return [];
  const { rows } = await db.query<ProfileDbRow>(
    `SELECT ${PROFILE_COLUMNS} FROM ${tables.profiles} WHERE profile_id = ANY($1::text[])`,
    [[...new Set(profileIds)].map((id) => storableText(id))],
  );
  return rows.map(toProfile);
}

export async function mergesOf(
  db: PgQueryable,
  tables: PostgresTables,
  profileIds: string[],
): Promise<StoredMergeRecord[]> {
  if (profileIds.length === 0) return [];
  const { rows } = await db.query<MergeDbRow>(
    `SELECT id, at, outcome, winner_id, loser_id, message_id, reason FROM ${tables.merges}
     WHERE winner_id = ANY($1::text[]) OR loser_id = ANY($1::text[]) ORDER BY id`,
    [[...new Set(profileIds)].map((id) => storableText(id))],
  );
  return rows.map(toMerge);
}

export async function writeChanges(
  db: PgQueryable,
  tables: PostgresTables,
  changes: ProfileChanges,
): Promise<void> {
  for (const part of chunk(
    lastByKey(changes.profiles, (p) => p.profileId),
    PROFILE_WRITE_ROWS,
  )) {
    await upsertProfiles(db, tables, part);
  }
  for (const part of chunk(collapseIdentities(changes.identities), PROFILE_WRITE_ROWS)) {
    await upsertIdentities(db, tables, part);
  }
  for (const part of chunk(changes.merges, PROFILE_WRITE_ROWS)) await insertMerges(db, tables, part);
  for (const part of chunk(changes.consentHistory ?? [], PROFILE_WRITE_ROWS)) {
    await appendConsentHistory(db, tables, part);
  }
}

/**
 * One row per (kind, value) with what SQLite's row-by-row upsert leaves behind: the first
 * occurrence's first_seen (the insert) and the last occurrence's profile (the updates).
 */
export function collapseIdentities(identities: readonly IdentityRow[]): IdentityRow[] {
  const firstSeen = new Map<string, string>();
  const keyOf = (identity: IdentityRow) => JSON.stringify([identity.kind, identity.value]);
  for (const identity of identities) {
    const key = keyOf(identity);
    if (!firstSeen.has(key)) firstSeen.set(key, identity.firstSeen);
  }
  return lastByKey(identities, keyOf).map((identity) => ({
    ...identity,
    firstSeen: firstSeen.get(keyOf(identity)) ?? identity.firstSeen,
  }));
}

async function upsertProfiles(
  db: PgQueryable,
  tables: PostgresTables,
  profiles: ProfileRow[],
): Promise<void> {
  await db.query(
    `INSERT INTO ${tables.profiles} (${PROFILE_COLUMNS})
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::bigint[],
       $6::jsonb[], $7::jsonb[], $8::text[], $9::jsonb[])
     ON CONFLICT (profile_id) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen,
       event_count = excluded.event_count, traits = excluded.traits, "groups" = excluded."groups",
       merged_into = excluded.merged_into, consent = excluded.consent`,
    [
      profiles.map((p) => storableText(p.profileId)),
      profiles.map((p) => p.createdAt),
      profiles.map((p) => p.firstSeen),
      profiles.map((p) => p.lastSeen),
      profiles.map((p) => p.eventCount),
      profiles.map((p) => storableJson(p.traits)),
      profiles.map((p) => storableJson(p.groups)),
      profiles.map((p) => storableText(p.mergedInto)),
      profiles.map((p) => storableJson(p.consent)),
    ],
  );
}

async function upsertIdentities(
  db: PgQueryable,
  tables: PostgresTables,
  identities: IdentityRow[],
): Promise<void> {
  // first_seen stays: an identity re-pointed by a merge was still first seen back then. Most
  // identities a slice sees are already there and still point where they did: those are left
  // alone, not rewritten with the same profile_id (a new row version and index entries each).
  await db.query(
    `INSERT INTO ${tables.identities} AS i (${IDENTITY_COLUMNS})
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
     ON CONFLICT (kind, value) DO UPDATE SET profile_id = excluded.profile_id
       WHERE i.profile_id IS DISTINCT FROM excluded.profile_id`,
    [
      identities.map((i) => storableText(i.kind)),
      identities.map((i) => storableText(i.value)),
      identities.map((i) => storableText(i.profileId)),
      identities.map((i) => i.firstSeen),
    ],
  );
}

async function insertMerges(db: PgQueryable, tables: PostgresTables, merges: ProfileChanges['merges']) {
  await db.query(
    `INSERT INTO ${tables.merges} (at, outcome, winner_id, loser_id, message_id, reason)
     SELECT at, outcome, winner_id, loser_id, message_id, reason
     FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       WITH ORDINALITY AS batch(at, outcome, winner_id, loser_id, message_id, reason, ord)
     ORDER BY ord`,
    [
      merges.map((m) => m.at),
      merges.map((m) => m.outcome),
      merges.map((m) => storableText(m.winnerId)),
      merges.map((m) => storableText(m.loserId)),
      merges.map((m) => storableText(m.messageId)),
      merges.map((m) => storableText(m.reason)),
    ],
  );
}

export async function setOffset(
  db: PgQueryable,
  table: string,
  processor: string,
  seq: number,
): Promise<void> {
  await db.query(
    `INSERT INTO ${table} (processor, seq) VALUES ($1, $2)
     ON CONFLICT (processor) DO UPDATE SET seq = excluded.seq`,
    [processor, seq],
  );
}

export async function getOffset(db: PgQueryable, table: string, processor: string): Promise<number> {
  const { rows } = await db.query<{ seq: string }>(`SELECT seq FROM ${table} WHERE processor = $1`, [
    processor,
  ]);
  return rows[0] ? Number(rows[0].seq) : 0;
}
