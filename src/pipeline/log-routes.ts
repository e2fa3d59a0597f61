// The ingest log's retention (docs/architecture.md, "Retention and compaction"): where the log
// stands, who holds compaction back, and a compaction on demand. The work runs in the pipeline
// worker; these handlers only ask it and read the stores through their interfaces.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import { readerLimit } from '../ingest/index.ts';
import type { StateStore } from '../store/index.ts';
import type { Pipeline } from './host.ts';
import { LOG_READERS, logReaderOffsets } from './readers.ts';
import { CompactionReportSchema, LogStatusSchema } from './schema.ts';

export interface LogRouteOptions {
  state: StateStore;
  pipeline: Pipeline;
  credentials: CredentialCache;
  /** RAPPORT_LOG_RETENTION in ms; null: forever. */
  retentionMs: number | null;
  compactionIntervalMs: number;
}

const security = [{ adminToken: [] }];
export async function logRoutes(fastify: FastifyInstance, options: LogRouteOptions): Promise<void> {
  const { state, pipeline } = options;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/log',
    {
      config: { access: 'read' },
      schema: {
        tags: ['operations'],
        summary: 'The ingest log: size, oldest entry kept, each reader’s offset, retention and compaction',
        security,
        response: { 200: LogStatusSchema },
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
        response: { 200: CompactionReportSchema, '5xx': errorSchema },
      },
    },
    async () => pipeline.compactLog(),
  );
}
