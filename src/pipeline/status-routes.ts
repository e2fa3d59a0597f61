// GET /api/status: the ingest log's head and every processor's progress, read from the stores
// (with PostgreSQL another process may be the one doing the work).

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { StateStore } from '../store/index.ts';
import type { Pipeline } from './host.ts';
import { LOG_READERS, logReaderOffsets } from './readers.ts';
import { StatusSchema } from './status-schema.ts';

export interface StatusRouteOptions {
  state: StateStore;
  pipeline: Pipeline;
}

export async function statusRoutes(app: FastifyInstance, options: StatusRouteOptions): Promise<void> {
  const { state, pipeline } = options;
  const security = [{ adminToken: [] }];

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/status',
    {
      config: { access: 'read' },
      schema: {
        tags: ['operations'],
        summary: 'Ingest log head and each processor’s progress',
        security,
        response: { 200: StatusSchema },
      },
    },
    async () => {
      // Read from the stores, not this process's worker: with PostgreSQL another process may
      // be the one doing the work.
      const head = await state.log.headSeq();
      const offsets = await logReaderOffsets({ state, events: pipeline });
      const quarantined = await state.quarantine.counts();
      return {
        logHead: head,
        processors: readerLags(head, offsets),
        lastError: pipeline.status().lastError,
        profiles: await state.countProfiles(),
        deadLetters: await state.log.countDeadLetters(),
        // Log entries processors set aside (docs/quarantine.md, GET /api/quarantine).
        quarantined: {
          total: Object.values(quarantined).reduce((sum, n) => sum + n, 0),
          byProcessor: quarantined,
        },
      };
    },
  );
}

/**
 * Every log reader's offset and lag (entries behind the head): the known readers (LOG_READERS,
 * 0 until they commit) and any other processor keeping an offset.
 */
function readerLags(
  head: number,
  offsets: Record<string, number>,
): Record<string, { offset: number; lag: number }> {
  const lags: Record<string, { offset: number; lag: number }> = {};
  for (const name of new Set([...LOG_READERS, ...Object.keys(offsets)])) {
    const offset = offsets[name] ?? 0;
    lags[name] = { offset, lag: Math.max(0, head - offset) };
  }
  return lags;
}
