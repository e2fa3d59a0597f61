// Rapport on a Citus cluster (docs/scaling.md). When the database has the citus extension, the
// migrations end by placing every table of the schema: customer data distributed by profile id
// and colocated, small configuration copied to every node, and the tables whose ordering or
// single-node locking Rapport's guarantees rest on kept on the coordinator. Placing is
// idempotent, so it runs after every migration set (each store migrates its own tables).
import type { PgQueryable } from './sql.ts';

export type TablePlacement =
  | {
      kind: 'distributed';
      /** The distribution column. */
      column: string;
      /**
       * Citus needs every unique constraint to contain the distribution column; these tables
       * were keyed by a surrogate (a bigserial id, an instance id), so on Citus their primary key
       * becomes (column, …the old key). The surrogate stays unique on its own by construction.
       */
      primaryKey?: readonly string[];
      why: string;
    }
  | { kind: 'reference'; why: string }
  | { kind: 'local'; why: string };

const QUEUE =
  'a work queue claimed with FOR UPDATE SKIP LOCKED across all profiles, which Citus only runs on one node';
const ORDERED =
  'its order and exactly-once guarantees rest on one append lock and on committing in the same transaction as the processors that read it';

/**
 * Every table Rapport creates, with where it lives on Citus and why. A table missing here is
 * placed by `defaultPlacement` and listed as unclassified by `citusPlacements`.
 */
export const CITUS_PLACEMENTS: Readonly<Record<string, TablePlacement>> = {
  // Customer data, distributed by profile id and colocated: a person's rows share a shard.
  profiles: { kind: 'distributed', column: 'profile_id', why: 'one row per person' },
  computed_properties: { kind: 'distributed', column: 'profile_id', why: 'per person' },
  consent_history: {
    kind: 'distributed',
    column: 'profile_id',
    primaryKey: ['profile_id', 'id'],
    why: 'per person, grows with every consent change',
  },
  events: { kind: 'distributed', column: 'profile_id', why: 'the event history, the largest table' },
  segment_members: { kind: 'distributed', column: 'profile_id', why: 'per person and segment' },
  segment_history: {
    kind: 'distributed',
    column: 'profile_id',
    primaryKey: ['profile_id', 'id'],
    why: 'per person, every entry and exit',
  },
  segment_profile_state: { kind: 'distributed', column: 'profile_id', why: 'one row per person' },
  lifecycle_stage: { kind: 'distributed', column: 'profile_id', why: 'per person and funnel' },
  lifecycle_history: {
    kind: 'distributed',
    column: 'profile_id',
    primaryKey: ['profile_id', 'id'],
    why: 'per person, every stage change',
  },
  cap_counters: { kind: 'distributed', column: 'profile_id', why: 'per person' },
  decisions: {
    kind: 'distributed',
    column: 'profile_id',
    primaryKey: ['profile_id', 'id'],
    why: 'per person, every arbitration decision',
  },
  channel_suppressions: { kind: 'distributed', column: 'profile_id', why: 'per person and channel' },
  // Identities are looked up by (kind, value) on every message; a merge re-points them to
  // another profile, so their profile id changes and cannot be the distribution column.
  identities: {
    kind: 'distributed',
    column: 'value',
    why: 'looked up by identifier on every message; a merge changes the profile id, which Citus never lets a row change in its distribution column',
  },
  // Configuration, read in joins with the distributed tables: a copy on every node.
  segments: { kind: 'reference', why: 'segment definitions, few rows' },
  funnels: { kind: 'reference', why: 'funnel definitions, few rows' },
  // On the coordinator only.
  journey_instances: {
    kind: 'local',
    why: 'a journey instance is advanced by one transaction at a time, locked with SELECT … FOR UPDATE by its instance id, and Citus takes row locks only in a query that names the shard',
  },
  journeys: {
    kind: 'local',
    why: 'journey definitions, joined with the timers when they are claimed with FOR UPDATE',
  },
  journey_versions: { kind: 'local', why: 'journey definitions, read with the journeys' },
  log_batches: { kind: 'local', why: `the ingest log, a row per request: ${ORDERED}` },
  log_message_ids: { kind: 'local', why: "the log's messageId dedupe, checked under the append lock" },
  processor_offsets: { kind: 'local', why: `processor offsets: ${ORDERED}` },
  event_processor_offsets: { kind: 'local', why: `the warehouse offset: ${ORDERED}` },
  log_compaction: { kind: 'local', why: 'one row, the log compaction mark' },
  dead_letters: { kind: 'local', why: 'rejected requests, kept beside the log they never reached' },
  quarantine: { kind: 'local', why: 'written in the same transaction that moves an offset past the entry' },
  segment_outbox: { kind: 'local', why: `membership messages waiting for the log: ${ORDERED}` },
  outbox: { kind: 'local', why: `the message outbox: ${QUEUE}` },
  journey_timers: { kind: 'local', why: `journey timers: ${QUEUE}` },
  tasks: { kind: 'local', why: 'human tasks, claimed one by one from a queue; few rows' },
  journey_step_counts: { kind: 'local', why: 'counters per journey step, updated on every pass' },
  merges: { kind: 'local', why: 'the merge record, read by winner or loser; few rows' },
  report_points: { kind: 'local', why: "a report's bounded sample of points, read whole" },
  reports: { kind: 'local', why: 'stored reports, read whole by name' },
  credentials: { kind: 'local', why: 'write keys and admin tokens' },
  suppressions: { kind: 'local', why: 'hashes of erased identifiers, read on ingest' },
  erasure_jobs: { kind: 'local', why: 'erasure bookkeeping' },
  schedule_marks: { kind: 'local', why: 'scheduler bookkeeping' },
  segment_meta: { kind: 'local', why: 'segments bookkeeping' },
  channel_settings: { kind: 'local', why: 'channel settings' },
  sandbox_emails: {
    kind: 'local',
    why: "the email sandbox's captures (a demo or staging install), listed newest first across people",
  },
  message_templates: {
    kind: 'local',
    why: 'the template library: few rows, no person in it, never joined with a person',
  },
  message_template_versions: { kind: 'local', why: 'every saved version of a template; read by template id' },
  attribution_spend: { kind: 'local', why: 'imported spend per channel, campaign and day; no person in it' },
  attribution_send_costs: { kind: 'local', why: 'the cost of a message per channel' },
  loyalty_ledger: {
    kind: 'distributed',
    column: 'profile_id',
    primaryKey: ['profile_id', 'id'],
    why: "the points ledger, per person: an entry's idempotency key is unique per person, and a balance is summed on one shard",
  },
  loyalty_progress: {
    kind: 'distributed',
    column: 'profile_id',
    why: 'per person, each step towards a badge',
  },
  loyalty_badges: { kind: 'distributed', column: 'profile_id', why: 'per person, each badge awarded' },
  loyalty_firsts: { kind: 'distributed', column: 'profile_id', why: "per person, a first purchase's mark" },
  loyalty_referrals: { kind: 'local', why: 'who referred whom, keyed by the referee; few rows' },
  loyalty_state: { kind: 'local', why: 'loyalty bookkeeping' },
  survey_responses: {
    kind: 'distributed',
    column: 'profile_id',
    why: "survey answers, per person: the key (profile, response key) keeps one answer per person and survey on the person's shard",
  },
  survey_definitions: { kind: 'local', why: 'survey definitions; a few rows, no person in them' },
  users: { kind: 'local', why: 'dashboard accounts' },
  sessions: { kind: 'local', why: 'dashboard sessions' },
  token_roles: { kind: 'local', why: 'the role of each admin token' },
  audit_log: { kind: 'local', why: 'the audit log of admin writes, in the order they happened' },
  schema_migrations: { kind: 'local', why: 'the migration ledger' },
  channel_schema_migrations: { kind: 'local', why: 'the migration ledger' },
};

/**
 * A table nobody classified: distributed by profile id when it has that column and every unique
 * constraint contains it (so Citus can enforce them shard by shard), otherwise left on the
 * coordinator, where everything PostgreSQL does still works.
 */
export function defaultPlacement(table: string, columns: readonly string[], uniqueKeys: readonly string[][]) {
  const keyed = uniqueKeys.every((key) => key.includes('profile_id'));
  if (columns.includes('profile_id') && keyed) {
    return { kind: 'distributed', column: 'profile_id', why: `${table}: per person (by default)` } as const;
  }
  return { kind: 'local', why: `${table}: not classified, kept on the coordinator` } as const;
}

export async function hasCitus(db: PgQueryable): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM pg_extension WHERE extname = 'citus'");
  return rows.length > 0;
}

interface TableFacts {
  name: string;
  columns: string[];
  uniqueKeys: string[][];
  primaryKeyName: string | undefined;
  primaryKey: string[] | undefined;
  placed: 'h' | 'n' | undefined;
}

async function tablesOf(db: PgQueryable, schema: string): Promise<TableFacts[]> {
  const { rows } = await db.query<{
    name: string;
    columns: string[];
    unique_keys: string[][] | null;
    pk_name: string | null;
    pk: string[] | null;
    placed: string | null;
  }>(
    `SELECT c.relname AS name,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT json_agg((SELECT array_agg(a.attname::text) FROM pg_attribute a
                          WHERE a.attrelid = c.oid AND a.attnum = ANY(i.indkey)))
          FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique) AS unique_keys,
       (SELECT con.conname::text FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'p') AS pk_name,
       (SELECT array_agg(a.attname::text) FROM pg_constraint con JOIN pg_attribute a
          ON a.attrelid = c.oid AND a.attnum = ANY(con.conkey)
         WHERE con.conrelid = c.oid AND con.contype = 'p') AS pk,
       (SELECT p.partmethod::text FROM pg_dist_partition p WHERE p.logicalrelid = c.oid) AS placed
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
     ORDER BY c.relname`,
    [schema],
  );
  return rows.map((row) => ({
    name: row.name,
    columns: row.columns ?? [],
    uniqueKeys: row.unique_keys ?? [],
    primaryKeyName: row.pk_name ?? undefined,
    primaryKey: row.pk ?? undefined,
    placed: row.placed === 'h' || row.placed === 'n' ? row.placed : undefined,
  }));
}

export function placementOf(table: TableFacts): TablePlacement {
  return CITUS_PLACEMENTS[table.name] ?? defaultPlacement(table.name, table.columns, table.uniqueKeys);
}

function qualified(schema: string, table: string): string {
  return `"${schema.replaceAll('"', '""')}"."${table.replaceAll('"', '""')}"`;
}

/**
 * The colocation group of a distributed table: Citus colocates only tables whose distribution
 * columns have the same type and collation (the segment tables compare profile ids byte-wise,
 * COLLATE "C"), so each such family has its own first table to colocate with.
 */
async function distributionColumnKey(db: PgQueryable, schema: string, table: string, column: string) {
  const { rows } = await db.query<{ key: string }>(
    `SELECT format_type(a.atttypid, a.atttypmod) || ' ' || coalesce(co.collname, '') AS key
       FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attrelid = $1::regclass AND a.attname = $2`,
    [qualified(schema, table), column],
  );
  return rows[0]?.key ?? '';
}

/**
 * Places every table of `schema` that Citus does not know yet. Runs inside the migration's
 * transaction, so a failure leaves the schema as it was.
 */
export async function placeTablesForCitus(db: PgQueryable, schema: string): Promise<void> {
  // Shards are created over several connections; in a transaction that already wrote, Citus
  // wants them made one at a time on one connection per node.
  await db.query("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'");
  const tables = await tablesOf(db, schema);
  const anchors = new Map<string, string>();
  for (const table of tables.filter((t) => t.placed === 'h')) {
    const placement = placementOf(table);
    if (placement.kind !== 'distributed') continue;
    const key = `${placement.column}:${await distributionColumnKey(db, schema, table.name, placement.column)}`;
    if (!anchors.has(key)) anchors.set(key, table.name);
  }
  for (const table of tables) {
    if (table.placed) continue;
    const placement = placementOf(table);
    const name = qualified(schema, table.name);
    if (placement.kind === 'local') continue;
    if (placement.kind === 'reference') {
      await db.query('SELECT create_reference_table($1)', [name]);
      continue;
    }
    if (placement.primaryKey && table.primaryKeyName && !table.primaryKey?.includes(placement.column)) {
      const columns = placement.primaryKey.map((c) => `"${c}"`).join(', ');
      await db.query(
        `ALTER TABLE ${name} DROP CONSTRAINT "${table.primaryKeyName}", ADD PRIMARY KEY (${columns})`,
      );
    }
    const key = `${placement.column}:${await distributionColumnKey(db, schema, table.name, placement.column)}`;
    const anchor = anchors.get(key);
    await db.query('SELECT create_distributed_table($1, $2, colocate_with => $3)', [
      name,
      placement.column,
      anchor ? qualified(schema, anchor) : 'none',
    ]);
    if (!anchor) anchors.set(key, table.name);
  }
}

export interface PlacementReport {
  table: string;
  placement: TablePlacement['kind'];
  column?: string;
  why: string;
  classified: boolean;
  /** What Citus has: hash-distributed, reference, or nothing (a plain table on the coordinator). */
  actual: 'distributed' | 'reference' | 'local';
}

/** Where each table of the schema lives, as the migrations meant it and as Citus has it. */
export async function citusPlacements(db: PgQueryable, schema: string): Promise<PlacementReport[]> {
  const tables = await tablesOf(db, schema);
  return tables.map((table) => {
    const placement = placementOf(table);
    return {
      table: table.name,
      placement: placement.kind,
      ...(placement.kind === 'distributed' ? { column: placement.column } : {}),
      why: placement.why,
      classified: table.name in CITUS_PLACEMENTS,
      actual: table.placed === 'h' ? 'distributed' : table.placed === 'n' ? 'reference' : 'local',
    };
  });
}
