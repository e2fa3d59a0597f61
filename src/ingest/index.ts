// Ingest: the Segment-compatible tracking routes, request body reading (any Content-Type,
// gzip, strict UTF-8, size limits), write-key authentication, and the group-committed
// append to the ingest log that makes a 200 mean "durably stored".
export { readJsonBody } from './body.ts';
export { GroupCommitLog, type GroupCommitOptions } from './group-commit.ts';
export { ThreadedLogWriter } from './log-writer.ts';
export {
  type IngestRouteOptions,
  type IngestWarning,
  ingestRoutes,
  type MessageScreen,
  type ScreenedMessages,
} from './routes.ts';
