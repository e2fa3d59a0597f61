// Numbered migrations for the embedded state store. Never edit a shipped entry; append one.
// Two files: the ingest log (written by the HTTP thread) and the state (written by the
// processors), so the two writers never wait on each other's lock.
import { QUARANTINE_TABLE_SQL } from './quarantine.ts';

export const LOG_MIGRATIONS: string[] = [
  `CREATE TABLE ingest_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL UNIQUE,
     source TEXT NOT NULL,
     received_at TEXT NOT NULL,
     body TEXT NOT NULL
   );
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     received_at TEXT NOT NULL,
     source TEXT NOT NULL,
     code TEXT NOT NULL,
     field TEXT NOT NULL,
     reason TEXT NOT NULL,
     body TEXT NOT NULL
   );`,
  // 2: compaction's mark (docs/architecture.md, "Retention and compaction"): entries at or
  // below compacted_through are gone, and headSeq never reports less than it.
  `CREATE TABLE log_compaction (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     compacted_through INTEGER NOT NULL,
     removed_total INTEGER NOT NULL,
     last_compacted_at TEXT
   );
   INSERT INTO log_compaction (id, compacted_through, removed_total) VALUES (1, 0, 0);`,
  // 3: the highest entry an erasure removed: headSeq never reports less than it either, so
  // erasing the person who sent the last message does not move the head backwards.
  `ALTER TABLE log_compaction ADD COLUMN erased_through INTEGER NOT NULL DEFAULT 0;`,
  // 4: the log written per request (docs/architecture.md, "The ingest log"): one row per
  // accepted batch, its messages addressed by (last_seq, index). The batch's seqs are
  // last_seq - span + 1 … last_seq; message_ids is a JSON array (null where a message was
  // removed) and body holds the messages' JSON one per line (an empty line where removed;
  // a batch of one holds its message as it is). Existing entries become batches of one.
  `CREATE TABLE log_batches (
     last_seq INTEGER PRIMARY KEY,
     span INTEGER NOT NULL,
     live INTEGER NOT NULL,
     source TEXT NOT NULL,
     received_at TEXT NOT NULL,
     message_ids TEXT NOT NULL,
     body TEXT NOT NULL
   );
   INSERT INTO log_batches (last_seq, span, live, source, received_at, message_ids, body)
     SELECT seq, 1, 1, source, received_at, json_array(message_id), body FROM ingest_log ORDER BY seq;
   UPDATE log_compaction SET erased_through = max(erased_through,
     coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'ingest_log'), 0));
   DROP TABLE ingest_log;`,
  // 5: the messageId dedupe on disk (docs/architecture.md, "The messageId dedupe window is the
  // retention"): a row per message through indexed_through, keyed by a 53-bit hash of its id
  // and its seq (the hash function is registered by the connection, src/store/sqlite/log.ts).
  // A hit is confirmed against the id in log_batches; erasure and compaction delete the rows
  // of what they remove in the same transaction. The ids after the mark are held in memory.
  `CREATE TABLE log_message_ids (
     hash INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (hash, seq)
   ) WITHOUT ROWID;
   ALTER TABLE log_compaction ADD COLUMN indexed_through INTEGER NOT NULL DEFAULT 0;
   INSERT INTO log_message_ids (hash, seq)
     SELECT rapport_message_id_hash(j.value), b.last_seq - b.span + 1 + j.key
     FROM log_batches b, json_each(b.message_ids) j WHERE j.type = 'text'
     ORDER BY 1, 2;
   UPDATE log_compaction SET indexed_through = coalesce((SELECT max(last_seq) FROM log_batches), 0);`,
];

/** A profile's trait values as text, one per line (the lines keep a match inside one value). */
const TRAIT_TEXT = (traits: string) =>
  `(SELECT coalesce(group_concat(CAST(json_extract(t.value, '$.value') AS TEXT), char(10)), '') FROM json_each(${traits}) t)`;

export const STATE_MIGRATIONS: string[] = [
  // IF NOT EXISTS: the segments and conductor stores create this table too, and whichever store
  // opens a fresh data directory first must not stop the others from migrating.
  `CREATE TABLE IF NOT EXISTS processor_offsets (
     processor TEXT PRIMARY KEY,
     seq INTEGER NOT NULL
   );
   CREATE TABLE profiles (
     profile_id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     first_seen TEXT NOT NULL,
     last_seen TEXT NOT NULL,
     event_count INTEGER NOT NULL,
     traits TEXT NOT NULL,
     groups TEXT NOT NULL,
     merged_into TEXT
   );
   CREATE TABLE identities (
     kind TEXT NOT NULL,
     value TEXT NOT NULL,
     profile_id TEXT NOT NULL,
     first_seen TEXT NOT NULL,
     PRIMARY KEY (kind, value)
   ) WITHOUT ROWID;
   CREATE INDEX identities_by_profile ON identities (profile_id);
   CREATE TABLE merges (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     outcome TEXT NOT NULL,
     winner_id TEXT NOT NULL,
     loser_id TEXT NOT NULL,
     message_id TEXT NOT NULL,
     reason TEXT NOT NULL
   );
   CREATE INDEX merges_by_winner ON merges (winner_id);
   CREATE INDEX merges_by_loser ON merges (loser_id);
   CREATE TABLE credentials (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     revoked_at TEXT
   );`,
  // 2: consent (current per profile, full history), computed properties, erasure.
  `ALTER TABLE profiles ADD COLUMN consent TEXT NOT NULL DEFAULT '{}';
   CREATE INDEX profiles_by_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL;
   CREATE TABLE consent_history (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     profile_id TEXT NOT NULL,
     purpose TEXT NOT NULL,
     state TEXT NOT NULL,
     at TEXT NOT NULL,
     source TEXT NOT NULL,
     message_id TEXT NOT NULL
   );
   CREATE INDEX consent_history_by_profile ON consent_history (profile_id);
   CREATE TABLE computed_properties (
     profile_id TEXT NOT NULL,
     name TEXT NOT NULL,
     value TEXT NOT NULL,
     computed_at TEXT NOT NULL,
     PRIMARY KEY (profile_id, name)
   ) WITHOUT ROWID;
   CREATE TABLE suppressions (
     kind TEXT NOT NULL,
     value_hash TEXT NOT NULL,
     erased_at TEXT NOT NULL,
     job_id TEXT NOT NULL,
     PRIMARY KEY (kind, value_hash)
   ) WITHOUT ROWID;
   CREATE TABLE erasure_jobs (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     steps TEXT NOT NULL,
     requested_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     completed_at TEXT,
     suppressed_count INTEGER NOT NULL DEFAULT 0,
     error TEXT,
     work TEXT
   );`,
  // 3: numeric computed properties are aggregated by name (value page); reports kept across restarts.
  `CREATE INDEX computed_properties_by_name ON computed_properties (name, profile_id);
   CREATE TABLE reports (
     name TEXT PRIMARY KEY,
     body TEXT NOT NULL,
     saved_at TEXT NOT NULL
   );`,
  // 4: the value page's aggregates read numbers by name in value order from this index alone
  // (a partial expression index over JSON numbers; value is in it so json_type needs no table
  // lookup), instead of one table lookup per profile: about 0.5 s instead of 20 s at 1M.
  `DROP INDEX computed_properties_by_name;
   CREATE INDEX computed_numbers_by_name ON computed_properties (name, CAST(value AS REAL), value)
     WHERE json_type(value) IN ('integer', 'real');`,
  // 5: a report's per-profile points (the value page's stored scatter sample). Their own table
  // with a profile_id column, so erasure (every such table) deletes an erased person's point.
  `CREATE TABLE report_points (
     report TEXT NOT NULL,
     position INTEGER NOT NULL,
     profile_id TEXT NOT NULL,
     x REAL NOT NULL,
     y REAL NOT NULL,
     PRIMARY KEY (report, position)
   );
   CREATE INDEX report_points_by_profile ON report_points (profile_id);`,
  // 6: log entries a processor set aside (docs/quarantine.md), beside the offsets they move with.
  QUARANTINE_TABLE_SQL,
  // 7: the note a consent decision was recorded with (the admin consent PUT's `note`), in its history.
  'ALTER TABLE consent_history ADD COLUMN note TEXT;',
  // 8: the people explorer's "any trait value contains" through an FTS5 trigram index instead of
  // a scan of every profile's traits (docs/performance.md). profile_search holds each profile's
  // trait values (one per line) under a stable integer key; the FTS table indexes it (external
  // content: the text is stored once). Triggers keep both current on every write of profiles,
  // so erasure (which deletes every table's profile_id rows) reaches them; FTS5 secure-delete
  // removes a deleted row's trigrams from the index at once rather than leaving them to a merge.
  `CREATE TABLE profile_search (
     id INTEGER PRIMARY KEY,
     profile_id TEXT NOT NULL UNIQUE,
     text TEXT NOT NULL
   );
   CREATE VIRTUAL TABLE profile_search_fts USING fts5(
     text, content = 'profile_search', content_rowid = 'id', tokenize = 'trigram'
   );
   INSERT INTO profile_search_fts (profile_search_fts, rank) VALUES ('secure-delete', 1);
   CREATE TRIGGER profile_search_inserted AFTER INSERT ON profile_search BEGIN
     INSERT INTO profile_search_fts (rowid, text) VALUES (new.id, new.text);
   END;
   CREATE TRIGGER profile_search_deleted AFTER DELETE ON profile_search BEGIN
     INSERT INTO profile_search_fts (profile_search_fts, rowid, text) VALUES ('delete', old.id, old.text);
   END;
   CREATE TRIGGER profile_search_updated AFTER UPDATE OF text ON profile_search BEGIN
     INSERT INTO profile_search_fts (profile_search_fts, rowid, text) VALUES ('delete', old.id, old.text);
     INSERT INTO profile_search_fts (rowid, text) VALUES (new.id, new.text);
   END;
   CREATE TRIGGER profiles_search_inserted AFTER INSERT ON profiles BEGIN
     INSERT INTO profile_search (profile_id, text) VALUES (new.profile_id, ${TRAIT_TEXT('new.traits')});
   END;
   CREATE TRIGGER profiles_search_updated AFTER UPDATE OF traits ON profiles
     WHEN new.traits IS NOT old.traits BEGIN
     UPDATE profile_search SET text = ${TRAIT_TEXT('new.traits')} WHERE profile_id = new.profile_id;
   END;
   CREATE TRIGGER profiles_search_deleted AFTER DELETE ON profiles BEGIN
     DELETE FROM profile_search WHERE profile_id = old.profile_id;
   END;
   INSERT INTO profile_search (profile_id, text) SELECT profile_id, ${TRAIT_TEXT('traits')} FROM profiles;`,
  // 9: the trigram index written only when a trait's value changes (docs/performance.md, "Ingest",
  // session 10). Every write of a profile's traits re-indexed its whole text (an FTS delete and
  // insert of every trigram) even when an identify only re-stated the same values with a later
  // time; a profile without traits (most new visitors) got an empty row indexed. A profile
  // without a search row matches no text, as one with an empty row did.
  `DROP TRIGGER profiles_search_inserted;
   DROP TRIGGER profiles_search_updated;
   CREATE TRIGGER profiles_search_inserted AFTER INSERT ON profiles WHEN new.traits <> '{}' BEGIN
     INSERT INTO profile_search (profile_id, text) VALUES (new.profile_id, ${TRAIT_TEXT('new.traits')});
   END;
   CREATE TRIGGER profiles_search_updated AFTER UPDATE OF traits ON profiles
     WHEN new.traits IS NOT old.traits BEGIN
     UPDATE profile_search SET text = ${TRAIT_TEXT('new.traits')}
       WHERE profile_id = new.profile_id AND text IS NOT ${TRAIT_TEXT('new.traits')};
     INSERT INTO profile_search (profile_id, text)
       SELECT new.profile_id, ${TRAIT_TEXT('new.traits')}
       WHERE NOT EXISTS (SELECT 1 FROM profile_search WHERE profile_id = new.profile_id);
   END;
   DELETE FROM profile_search WHERE text = '';`,
];
