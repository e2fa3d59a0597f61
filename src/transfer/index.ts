// Transfer: bulk import and export. Owns `rapport import events|profiles` (JSON lines or CSV
// with a column map → Segment messages through parsePayload, then straight into the ingest log
// in local mode or to /v1/batch in remote mode; rejects file, checkpoint and resume without
// duplicates) and `rapport export events|profiles` (JSON lines or CSV) over the streaming
// admin endpoints GET /api/export/events and /api/export/profiles, which live here too.
export { registerTransferCommands } from './cli.ts';
export { type ExportOptions, type ExportSummary, runExport } from './export.ts';
export { formatOf, type ImportOptions, type ImportSummary, runImport } from './import.ts';
export { ImportUsageError } from './mapping.ts';
export { type TransferRouteOptions, transferRoutes } from './routes.ts';
export { type ImportSink, LocalSink, RemoteSink } from './sinks.ts';
