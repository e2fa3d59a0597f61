// Numbered migrations for the embedded state store. Never edit a shipped entry; append one.
// Two files: the ingest log (written by the HTTP thread) and the state (written by the
// processors), so the two writers never wait on each other's lock.

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
];

export const STATE_MIGRATIONS: string[] = [
  `CREATE TABLE processor_offsets (
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
];
