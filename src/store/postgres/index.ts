// The PostgreSQL engine for both storage roles. One schema (default `rapport`) holds the state
// store's tables and the event store's; each has its own numbered migrations.
export type { PostgresOpenOptions } from './connection.ts';
export { PostgresEventStore } from './events.ts';
export { PostgresIngestLog } from './log.ts';
export { DEFAULT_SCHEMA } from './sql.ts';
export { PostgresStateStore } from './state.ts';
