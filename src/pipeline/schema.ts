// The operations answers of the log's readers (the quarantine, the ingest log's retention and
// compaction), as TypeBox: the routes serialise with them, the OpenAPI document shows them, and
// the Operations page imports their types (web/src/operations-api.ts). Only TypeBox is imported,
// so the dashboard's compiler can read this file (types only; nothing from here reaches the bundle).
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../errors/schema.ts';

export const QuarantinedEntrySchema = Type.Object({
  id: Type.Integer(),
  processor: Type.String({ description: 'profiles, warehouse, segments, journeys or loyalty' }),
  seq: Type.Integer({ description: 'the entry’s place in the ingest log' }),
  messageId: Type.String(),
  source: Type.String(),
  receivedAt: Type.String(),
  body: Type.String({ description: 'the log entry’s text (the message as JSON)' }),
  error: Type.String({ description: 'the newest failure' }),
  stack: Nullable(Type.String({ description: 'the first lines of its stack' })),
  firstFailedAt: Type.String(),
  lastFailedAt: Type.String(),
  attempts: Type.Integer({ description: 'failures on its own: when set aside, then each failed replay' }),
  consecutive: Type.Integer({
    description: 'how many entries in a row, this one included, its processor had set aside',
  }),
});
export type QuarantinedEntry = Static<typeof QuarantinedEntrySchema>;

export const QuarantinePageSchema = Type.Object({
  total: Type.Integer({ description: 'rows in quarantine (of this processor, when given)' }),
  byProcessor: Type.Record(Type.String(), Type.Integer(), { description: 'rows per processor' }),
  items: Type.Array(QuarantinedEntrySchema),
  nextCursor: Nullable(Type.Integer({ description: 'the `after` of the next page; null: the last page' })),
});
export type QuarantinePage = Static<typeof QuarantinePageSchema>;

export const QuarantineReplayedSchema = Type.Object({
  outcome: Type.Literal('replayed'),
  entry: QuarantinedEntrySchema,
});
export type QuarantineReplayed = Static<typeof QuarantineReplayedSchema>;

export const CompactionReportSchema = Type.Object({
  startedAt: Type.String(),
  finishedAt: Type.String(),
  cutoff: Nullable(
    Type.String({ description: 'entries received before this could go; null: retention is forever' }),
  ),
  readersAt: Type.Integer({ description: 'the highest seq every reader had committed when the run started' }),
  heldBackBy: Type.Array(Type.String(), { description: 'the readers at that seq' }),
  removed: Type.Integer(),
  chunks: Type.Integer({ description: 'delete transactions (at most 2,000 entries each)' }),
  removedThrough: Nullable(
    Type.Integer({ description: 'this run removed every entry at or below it; null: it removed nothing' }),
  ),
  reclaimedBytes: Type.Integer({
    description: 'given back to the file system (SQLite with incremental auto_vacuum; 0 on PostgreSQL)',
  }),
});
export type CompactionReport = Static<typeof CompactionReportSchema>;

export const LogStatusSchema = Type.Object({
  retentionMs: Nullable(
    Type.Integer({ description: 'RAPPORT_LOG_RETENTION; null: forever. Also the messageId dedupe window' }),
  ),
  compactionIntervalMs: Type.Integer(),
  entries: Type.Integer({ description: 'entries kept now' }),
  oldestSeq: Nullable(Type.Integer({ description: 'null: the log is empty' })),
  oldestReceivedAt: Nullable(Type.String()),
  headSeq: Type.Integer(),
  compactedThrough: Type.Integer({ description: 'every entry at or below it was compacted away' }),
  removedTotal: Type.Integer({ description: 'entries compaction removed, ever' }),
  lastCompactedAt: Nullable(Type.String({ description: 'when compaction last removed something' })),
  sizeBytes: Type.Integer(),
  freeBytes: Nullable(
    Type.Integer({ description: 'SQLite: pages free for reuse inside the file; PostgreSQL: null' }),
  ),
  autoVacuum: Type.Union([StringEnum(['none', 'full', 'incremental']), Type.Null()], {
    description: 'SQLite’s auto_vacuum mode (`rapport log vacuum` converts none); null on PostgreSQL',
  }),
  readers: Type.Array(Type.Object({ name: Type.String(), offset: Type.Integer() }), {
    description: 'every processor that reads the log, with its committed offset (0: never ran)',
  }),
  readersAt: Type.Integer({
    description: 'compaction may remove up to this seq (and only what is old enough)',
  }),
  heldBackBy: Type.Array(Type.String()),
  lastRun: Type.Union([CompactionReportSchema, Type.Null()], {
    description: "this process's last compaction; null before the first",
  }),
});
export type LogStatus = Static<typeof LogStatusSchema>;
