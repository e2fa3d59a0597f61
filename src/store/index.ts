// Storage: the two roles of DESIGN.md (state: log, profiles, identities, keys; events: the
// columnar history) behind small interfaces, with an embedded engine (SQLite, DuckDB) and a
// server engine (PostgreSQL) for each. Nothing outside this folder touches a driver.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelStore } from './channel-types.ts';
import { DuckDbEventStore } from './duckdb/events.ts';
import type { SegmentStore } from './segment-types.ts';
import { SqliteChannelStore } from './sqlite/channels.ts';
import { SqliteSegmentStore } from './sqlite/segments.ts';
import { SqliteStateStore, sqlitePathsIn } from './sqlite/state.ts';
import { SqliteTemplateStore } from './sqlite/templates.ts';
import type { TemplateStore } from './template-types.ts';
import type { EventStore, StateStore } from './types.ts';

export type * from './channel-types.ts';
export { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock.ts';
export { DuckDbEventStore, type WarehouseSettings } from './duckdb/events.ts';
export type * from './segment-types.ts';
export { emptyChanges } from './segment-types.ts';
export { SqliteIngestLog } from './sqlite/log.ts';
export { SEGMENTS_PROCESSOR, SqliteSegmentStore } from './sqlite/segments.ts';
export { SqliteStateStore, sqlitePathsIn } from './sqlite/state.ts';
export type * from './template-types.ts';
export { epochSecondsSql, timeFromSql, timeRangeSql, type WarehouseEngine } from './time-range-sql.ts';
export type * from './types.ts';

export interface StorageLocation {
  /** postgres://… selects PostgreSQL for both roles; otherwise the embedded engines in dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

export function isPostgres(location: StorageLocation): boolean {
  return Boolean(location.databaseUrl);
}

export async function openStateStore(location: StorageLocation): Promise<StateStore> {
  if (location.databaseUrl) {
    const { PostgresStateStore } = await import('./postgres/index.ts');
    return PostgresStateStore.open(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return new SqliteStateStore(sqlitePathsIn(location.dataDir));
}

export async function openEventStore(location: StorageLocation): Promise<EventStore> {
  if (location.databaseUrl) {
    const { PostgresEventStore } = await import('./postgres/index.ts');
    return PostgresEventStore.open(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return DuckDbEventStore.open(join(location.dataDir, 'events.duckdb'));
}

/** Tasks and channel settings: beside the state store, in the same database. */
export async function openChannelStore(location: StorageLocation): Promise<ChannelStore> {
  if (location.databaseUrl) {
    const { PostgresChannelStore } = await import('./postgres/channels.ts');
    return PostgresChannelStore.open(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return new SqliteChannelStore(sqlitePathsIn(location.dataDir).statePath);
}

/** The template library (docs/templates.md): beside the state store, in the same database. */
export async function openTemplateStore(location: StorageLocation): Promise<TemplateStore> {
  if (location.databaseUrl) {
    const { PostgresTemplateStore } = await import('./postgres/templates.ts');
    return PostgresTemplateStore.open(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return new SqliteTemplateStore(sqlitePathsIn(location.dataDir).statePath);
}

/** Live segments' tables (docs/segments.md): beside the state store, in the same database. */
export async function openSegmentStore(location: StorageLocation): Promise<SegmentStore> {
  if (location.databaseUrl) {
    const { PostgresSegmentStore } = await import('./postgres/segments.ts');
    return PostgresSegmentStore.open(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return new SqliteSegmentStore(sqlitePathsIn(location.dataDir).statePath);
}

export type * from './conductor-types.ts';
export { OUTBOX_STATUSES } from './conductor-types.ts';
export { SqliteConductorStore } from './sqlite/conductor.ts';

/** The conductor's tables (journeys, instances, timers, outbox, caps, decisions) beside the state. */
export async function openConductorStore(
  location: StorageLocation,
): Promise<import('./conductor-types.ts').ConductorStore> {
  if (location.databaseUrl) {
    const { PostgresConductorStore } = await import('./postgres/conductor.ts');
    return PostgresConductorStore.open(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return new (await import('./sqlite/conductor.ts')).SqliteConductorStore(
    sqlitePathsIn(location.dataDir).statePath,
  );
}

export type * from './spend-types.ts';

/** Marketing spend and send costs (attribution's ROI): beside the state store, in the same database. */
export async function openSpendStore(
  location: StorageLocation,
): Promise<import('./spend-types.ts').SpendStore> {
  if (location.databaseUrl) {
    const { PostgresSpendStore } = await import('./postgres/spend.ts');
    return PostgresSpendStore.open(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return new (await import('./sqlite/spend.ts')).SqliteSpendStore(sqlitePathsIn(location.dataDir).statePath);
}

export type * from './access-types.ts';

/** Users, sessions, token roles and the audit log (docs/access.md): beside the state store. */
export async function openAccessStore(
  location: StorageLocation,
): Promise<import('./access-types.ts').AccessStore> {
  if (location.databaseUrl) {
    const { openPostgresAccessStore } = await import('./postgres/access.ts');
    return openPostgresAccessStore(location.databaseUrl);
  }
  mkdirSync(location.dataDir, { recursive: true });
  const { openSqliteAccessStore } = await import('./sqlite/access.ts');
  return openSqliteAccessStore(join(location.dataDir, 'access.sqlite'));
}
