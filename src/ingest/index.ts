// Ingest: the Segment-compatible tracking routes, request body reading (any Content-Type,
// gzip, strict UTF-8, size limits), write-key authentication, and the group-committed
// append to the ingest log that makes a 200 mean "durably stored"; what compaction may remove
// from the log (retention.ts, pure) and `rapport log`.
export { readJsonBody } from './body.ts';
export { IngestByteBudget, requestBytesOf } from './budget.ts';
export { formatDuration, registerLogCommands } from './cli.ts';
export { type DeadLetterRouteOptions, deadLetterRoutes } from './dead-letter-routes.ts';
export { GroupCommitLog, type GroupCommitOptions } from './group-commit.ts';
export { ThreadedLogWriter } from './log-writer.ts';
export { type RateLimit, WriteKeyRateLimits } from './rate-limit.ts';
export {
  type EntryTime,
  type PrefixStep,
  type ReaderLimit,
  readerLimit,
  removablePrefix,
  retentionCutoff,
} from './retention.ts';
export { type IngestRouteOptions, ingestRoutes } from './routes.ts';
export { DeadLetterPageSchema } from './schema.ts';
