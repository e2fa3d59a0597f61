// The ingest log's retention (docs/architecture.md, "Retention and compaction"): where the log
// stands, who holds compaction back, and a compaction on demand. The work runs in the pipeline
// worker; these handlers only ask it and read the stores through their interfaces.
import type { FastifyInstance } from 'fastify';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import { readerLimit } from '../ingest/index.ts';
import type { StateStore } from '../store/index.ts';
import type { Pipeline } from './host.ts';
import { LOG_READERS, logReaderOffsets } from './readers.ts';

export interface LogRouteOptions {
  state: StateStore;
  pipeline: Pipeline;
  credentials: CredentialCache;
  /** RAPPORT_LOG_RETENTION in ms; null: forever. */
  retentionMs: number | null;
  compactionIntervalMs: number;
}

const security = [{ adminToken: [] }];
const nullableInteger = { type: ['integer', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

const compactionReportSchema = {
  type: 'object',
  properties: {
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
    cutoff: {
      ...nullableString,
      description: 'entries received before this could go; null: retention is forever',
    },
    readersAt: { type: 'integer', description: 'the highest seq every reader had committed' },
    heldBackBy: { type: 'array', items: { type: 'string' } },
    removed: { type: 'integer' },
    chunks: { type: 'integer', description: 'delete transactions (at most 2,000 entries each)' },
    removedThrough: { ...nullableInteger, description: 'this run removed every entry at or below it' },
    reclaimedBytes: { type: 'integer', description: 'given back to the file system (SQLite)' },
  },
} as const;

const logStatusSchema = {
  type: 'object',
  properties: {
    retentionMs: {
      ...nullableInteger,
      description: 'RAPPORT_LOG_RETENTION; null: forever. Also the messageId dedupe window',
    },
    compactionIntervalMs: { type: 'integer' },
    entries: { type: 'integer' },
    oldestSeq: nullableInteger,
    oldestReceivedAt: nullableString,
    headSeq: { type: 'integer' },
    compactedThrough: { type: 'integer', description: 'every entry at or below it was compacted away' },
    removedTotal: { type: 'integer' },
    lastCompactedAt: nullableString,
    sizeBytes: { type: 'integer' },
    freeBytes: nullableInteger,
    autoVacuum: { type: ['string', 'null'], enum: ['none', 'full', 'incremental', null] },
    readers: {
      type: 'array',
      description: 'every processor that reads the log, with its committed offset (0: never ran)',
      items: { type: 'object', properties: { name: { type: 'string' }, offset: { type: 'integer' } } },
    },
    readersAt: {
      type: 'integer',
      description: 'compaction may remove up to this seq (and only what is old enough)',
    },
    heldBackBy: { type: 'array', items: { type: 'string' } },
    lastRun: {
      anyOf: [compactionReportSchema, { type: 'null' }],
      description: "this process's last compaction; null before the first",
    },
  },
} as const;

export async function logRoutes(app: FastifyInstance, options: LogRouteOptions): Promise<void> {
  const { state, pipeline } = options;

  app.get(
    '/api/log',
    {
      config: { access: 'read' },
      schema: {
        tags: ['operations'],
        summary: 'The ingest log: size, oldest entry kept, each reader’s offset, retention and compaction',
        security,
        response: { 200: logStatusSchema },
      },
    },
    async () => {
      // The warehouse offset through the pipeline: the worker owns the embedded event store.
      const offsets = await logReaderOffsets({ state, events: pipeline });
      const limit = readerLimit(offsets, LOG_READERS);
      const names = [...new Set([...LOG_READERS, ...Object.keys(offsets)])].sort();
      return {
        retentionMs: options.retentionMs,
        compactionIntervalMs: options.compactionIntervalMs,
        ...(await state.log.stats()),
        readers: names.map((name) => ({ name, offset: offsets[name] ?? 0 })),
        readersAt: limit.seq,
        heldBackBy: limit.heldBackBy,
        lastRun: pipeline.status().lastCompaction ?? null,
      };
    },
  );

  app.post(
    '/api/log/compact',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'Compact the ingest log now: remove what every reader has passed and the retention allows',
        security,
        response: { 200: compactionReportSchema, '5xx': errorSchema },
      },
    },
    async () => pipeline.compactLog(),
  );
}
