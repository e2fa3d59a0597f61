// Numbered migrations for the PostgreSQL stores. Never edit a shipped entry; append one.
// Each runs with search_path set to the store's schema, so names are unqualified here.
// Every table holding customer data carries profile_id (Citus distribution, erasure).
import { QUARANTINE_TABLE_SQL } from './quarantine.ts';

export const STATE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE ingest_log (
     seq bigserial PRIMARY KEY,
     message_id text NOT NULL UNIQUE,
     source text NOT NULL,
     received_at timestamptz NOT NULL,
     body text NOT NULL
   );
   CREATE TABLE dead_letters (
     id bigserial PRIMARY KEY,
     received_at timestamptz NOT NULL,
     source text NOT NULL,
     code text NOT NULL,
     field text NOT NULL,
     reason text NOT NULL,
     body text NOT NULL
   );
   CREATE TABLE processor_offsets (
     processor text PRIMARY KEY,
     seq bigint NOT NULL
   );
   CREATE TABLE profiles (
     profile_id text PRIMARY KEY,
     created_at timestamptz NOT NULL,
     first_seen timestamptz NOT NULL,
     last_seen timestamptz NOT NULL,
     event_count bigint NOT NULL,
     traits jsonb NOT NULL,
     "groups" jsonb NOT NULL,
     merged_into text
   );
   CREATE TABLE identities (
     kind text NOT NULL,
     value text NOT NULL,
     profile_id text NOT NULL,
     first_seen timestamptz NOT NULL,
     PRIMARY KEY (kind, value)
   );
   CREATE INDEX identities_by_profile ON identities (profile_id);
   CREATE TABLE merges (
     id bigserial PRIMARY KEY,
     at timestamptz NOT NULL,
     outcome text NOT NULL,
     winner_id text NOT NULL,
     loser_id text NOT NULL,
     message_id text NOT NULL,
     reason text NOT NULL
   );
   CREATE INDEX merges_by_winner ON merges (winner_id);
   CREATE INDEX merges_by_loser ON merges (loser_id);
   CREATE TABLE credentials (
     id text PRIMARY KEY,
     kind text NOT NULL,
     name text NOT NULL,
     secret_hash text NOT NULL UNIQUE,
     created_at timestamptz NOT NULL,
     revoked_at timestamptz
   );`,
  // 2: consent (current per profile, full history), computed properties, erasure.
  `ALTER TABLE profiles ADD COLUMN consent jsonb NOT NULL DEFAULT '{}';
   CREATE INDEX profiles_by_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL;
   CREATE TABLE consent_history (
     id bigserial PRIMARY KEY,
     profile_id text NOT NULL,
     purpose text NOT NULL,
     state text NOT NULL,
     at timestamptz NOT NULL,
     source text NOT NULL,
     message_id text NOT NULL
   );
   CREATE INDEX consent_history_by_profile ON consent_history (profile_id);
   CREATE TABLE computed_properties (
     profile_id text NOT NULL,
     name text NOT NULL,
     value jsonb NOT NULL,
     computed_at timestamptz NOT NULL,
     PRIMARY KEY (profile_id, name)
   );
   CREATE TABLE suppressions (
     kind text NOT NULL,
     value_hash text NOT NULL,
     erased_at timestamptz NOT NULL,
     job_id text NOT NULL,
     PRIMARY KEY (kind, value_hash)
   );
   CREATE TABLE erasure_jobs (
     id text PRIMARY KEY,
     status text NOT NULL,
     steps jsonb NOT NULL,
     requested_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL,
     completed_at timestamptz,
     suppressed_count bigint NOT NULL DEFAULT 0,
     error text,
     work jsonb
   );`,
  // 3: numeric computed properties are aggregated by name (value page); reports kept across restarts.
  `CREATE INDEX computed_properties_by_name ON computed_properties (name, profile_id);
   CREATE TABLE reports (
     name text PRIMARY KEY,
     body jsonb NOT NULL,
     saved_at timestamptz NOT NULL
   );`,
  // 4: a report's per-profile points (the value page's stored scatter sample). Their own table
  // with a profile_id column, so erasure (every such table) deletes an erased person's point.
  `CREATE TABLE report_points (
     report text NOT NULL,
     position integer NOT NULL,
     profile_id text NOT NULL,
     x float8 NOT NULL,
     y float8 NOT NULL,
     PRIMARY KEY (report, position)
   );
   CREATE INDEX report_points_by_profile ON report_points (profile_id);`,
  // 5: log entries a processor set aside (docs/quarantine.md), beside the offsets they move with.
  // No profile_id: a message a processor could not apply may have no profile; erasure finds
  // the rows by the identifiers in their body, as it finds log entries.
  QUARANTINE_TABLE_SQL,
  // 6: the note a consent decision was recorded with (the admin consent PUT's `note`), in its history.
  'ALTER TABLE consent_history ADD COLUMN note text;',
  // 7: the people explorer's "any trait value contains" through a trigram index (pg_trgm's GIN
  // operator class, in Debian's postgresql-15 contrib) on each profile's trait values as lower-
  // case text, one per line (docs/performance.md). The index lives in the profiles table, so
  // every trait write keeps it current and erasure's delete and VACUUM FULL of profiles reach
  // it. pg_trgm is a trusted extension (a database owner may create it); where it cannot be
  // created the search still works, by reading every profile. On Citus, CREATE EXTENSION and
  // the function reach the workers with the table's shards (Citus propagates both).
  `CREATE FUNCTION profile_trait_text(traits jsonb) RETURNS text
     LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
     AS $$ SELECT coalesce(string_agg(lower(t.value ->> 'value'), E'\n'), '') FROM jsonb_each(traits) t $$;
   DO $$
   DECLARE trgm text;
   BEGIN
     BEGIN
       CREATE EXTENSION IF NOT EXISTS pg_trgm;
     EXCEPTION WHEN OTHERS THEN
       RAISE WARNING 'pg_trgm could not be created (%): the people search reads every profile', SQLERRM;
     END;
     SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
       WHERE e.extname = 'pg_trgm';
     IF trgm IS NOT NULL THEN
       EXECUTE format(
         'CREATE INDEX profiles_by_trait_text ON profiles USING gin (profile_trait_text(traits) %I.gin_trgm_ops)',
         trgm);
     END IF;
   END $$;`,
  // 8: room on each profiles page for the next version of its rows (docs/performance.md,
  // "Ingest", session 10). The profiles processor rewrites every person an event touched
  // (event_count, last_seen); on full pages each rewrite went to another page, with a new entry
  // in every index, the trait-text trigram index included (its function run again). With free
  // space on the page and the indexed columns unchanged (traits, merged_into, profile_id) the
  // update is a heap-only tuple: no index is touched. Pages written from now on keep 30% free;
  // existing ones gain it as their rows move (VACUUM FULL profiles rewrites them all at once).
  // A server that refuses the setting (feature_not_supported) keeps full pages.
  `DO $$
   BEGIN
     ALTER TABLE profiles SET (fillfactor = 70);
   EXCEPTION WHEN feature_not_supported THEN
     RAISE WARNING 'profiles keeps full pages (%): each profile update writes its index entries', SQLERRM;
   END $$;`,
];

/**
 * The ingest log's own list (ledger component `log`), like the embedded log.sqlite's: the log
 * table itself came with state migration 1, and later log changes number from 1 here without
 * competing for the state list's numbers.
 */
export const LOG_MIGRATIONS: readonly string[] = [
  // 1: compaction's mark (docs/architecture.md, "Retention and compaction"): entries at or
  // below compacted_through are gone, and headSeq never reports less than it.
  `CREATE TABLE log_compaction (
     id integer PRIMARY KEY CHECK (id = 1),
     compacted_through bigint NOT NULL,
     removed_total bigint NOT NULL,
     last_compacted_at timestamptz
   );
   INSERT INTO log_compaction (id, compacted_through, removed_total) VALUES (1, 0, 0);`,
  // 2: the highest entry an erasure removed: headSeq never reports less than it either, so
  // erasing the person who sent the last message does not move the head backwards.
  `ALTER TABLE log_compaction ADD COLUMN erased_through bigint NOT NULL DEFAULT 0;`,
  // 3: the log written per request (docs/architecture.md): one row per request, its messages'
  // JSON one per line and their messageIds as a JSON array, with contiguous seqs ending at
  // last_seq. The messageIds' unique index moves to a table of its own, the dedupe every
  // process appending shares. Entries already logged become batches of one, and the head
  // keeps every seq the old sequence gave (a rolled-back append's too), so none is given twice.
  `CREATE TABLE log_batches (
     last_seq bigint PRIMARY KEY,
     span integer NOT NULL,
     live integer NOT NULL,
     source text NOT NULL,
     received_at timestamptz NOT NULL,
     message_ids text NOT NULL,
     body text NOT NULL
   );
   CREATE TABLE log_message_ids (message_id text PRIMARY KEY);
   INSERT INTO log_batches (last_seq, span, live, source, received_at, message_ids, body)
     SELECT seq, 1, 1, source, received_at, json_build_array(message_id)::text, body FROM ingest_log ORDER BY seq;
   INSERT INTO log_message_ids (message_id) SELECT message_id FROM ingest_log;
   UPDATE log_compaction SET erased_through = greatest(erased_through,
     (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ingest_log_seq_seq));
   DROP TABLE ingest_log;`,
  // 4: a request's messages are TOASTed together (88 KB for 100 shop events): lz4 compresses
  // and reads them back for a fraction of pglz's CPU. A server built without lz4 keeps pglz.
  `DO $$
   BEGIN
     ALTER TABLE log_batches ALTER COLUMN body SET COMPRESSION lz4;
   EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
     RAISE NOTICE 'lz4 is not available: the log keeps pglz';
   END $$;`,
];

export const EVENT_MIGRATIONS: readonly string[] = [
  // Its own offsets table: the state store's processor_offsets may live in the same schema.
  `CREATE TABLE event_processor_offsets (
     processor text PRIMARY KEY,
     seq bigint NOT NULL
   );
   CREATE TABLE events (
     seq bigint NOT NULL,
     message_id text NOT NULL,
     profile_id text NOT NULL,
     type text NOT NULL,
     name text,
     user_id text,
     anonymous_id text,
     timestamp timestamptz NOT NULL,
     received_at timestamptz NOT NULL,
     properties jsonb,
     message jsonb NOT NULL
   );
   CREATE INDEX events_by_profile_time ON events (profile_id, timestamp DESC, seq DESC);
   -- countByMessageId (kill test, operators) would otherwise scan every event.
   CREATE INDEX events_by_message_id ON events (message_id);`,
  // The export pages by seq and the dashboard's aggregates (events per day, placement stats,
  // paths) filter by time: without these both read every event.
  `CREATE INDEX events_by_seq ON events (seq);
   CREATE INDEX events_by_time ON events (timestamp);`,
];
