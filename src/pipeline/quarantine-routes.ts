// The quarantine over the admin API (docs/quarantine.md): the log entries processors set aside,
// one of them, a replay through its processor, a discard. A replay of a worker's processor
// (profiles, warehouse, segments) travels to the pipeline worker; journeys run on this thread.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import type { QuarantineStore, StoredQuarantineEntry } from '../store/index.ts';
import type { QuarantineReplays } from './quarantine-replays.ts';
import { QuarantinedEntrySchema, QuarantinePageSchema, QuarantineReplayedSchema } from './schema.ts';

export interface QuarantineRouteOptions {
  quarantine: QuarantineStore;
  credentials: CredentialCache;
  /** Replays a quarantined message through the named processor, wherever it runs. */
  replays: Pick<QuarantineReplays, 'replay'>;
}

const security = [{ adminToken: [] }];
const tags = ['operations'];
const PAGE_MAX = 500;

const idParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const quarantineRoutes: FastifyPluginAsyncTypebox<QuarantineRouteOptions> = async (app, options) => {
  const { quarantine } = options;

  const find = async (id: number): Promise<StoredQuarantineEntry> => {
    const entry = await quarantine.get(id);
    if (!entry)
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no quarantined message ${id}`, { field: 'id' });
    return entry;
  };

  app.get(
    '/api/quarantine',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Log entries a processor set aside because applying them failed, oldest first',
        security,
        querystring: Type.Object({
          processor: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX })),
          after: Type.Optional(
            Type.Integer({ minimum: 0, description: 'the nextCursor of the previous page' }),
          ),
        }),
        response: {
          200: QuarantinePageSchema,
        },
      },
    },
    async (request) => {
      const query = request.query;
      const limit = query.limit ?? 50;
      const items = await quarantine.list({
        limit: limit + 1,
        ...(query.processor ? { processor: query.processor } : {}),
        ...(query.after ? { afterId: query.after } : {}),
      });
      const byProcessor = await quarantine.counts();
      const total = query.processor
        ? (byProcessor[query.processor] ?? 0)
        : Object.values(byProcessor).reduce((sum, n) => sum + n, 0);
      const page = items.slice(0, limit);
      return {
        total,
        byProcessor,
        items: page,
        nextCursor: items.length > limit ? (page.at(-1) as StoredQuarantineEntry).id : null,
      };
    },
  );

  app.get(
    '/api/quarantine/:id',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'One quarantined log entry: the message, its processor, the failure',
        security,
        params: idParams,
        response: { 200: QuarantinedEntrySchema, '4xx': errorSchema },
      },
    },
    async (request) => find(request.params.id),
  );

  app.post(
    '/api/quarantine/:id/replay',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Apply a quarantined message through its processor now (once the cause is fixed)',
        description:
          'The message is applied alone and out of order; the processor’s offset does not move ' +
          '(it is already past the entry). On success the row is removed, with what the message ' +
          'produced where the store allows one transaction; on failure it stays, with one more ' +
          'attempt and the new error (409).',
        security,
        params: idParams,
        response: {
          200: QuarantineReplayedSchema,
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      const entry = await find(id);
      const result = await options.replays.replay(entry.processor, id);
      switch (result.outcome) {
        case 'replayed':
          return { outcome: 'replayed' as const, entry: result.entry };
        case 'gone':
          throw new RapportError('RAPPORT_API_NOT_FOUND', `no quarantined message ${id}`, { field: 'id' });
        case 'busy':
          throw new RapportError('RAPPORT_API_CONFLICT', `cannot replay now: ${result.reason}; try again`);
        case 'unavailable':
          throw new RapportError(
            'RAPPORT_STORE_UNAVAILABLE',
            `the store is unavailable (${result.error}); nothing was recorded, try again`,
          );
        case 'failed':
          throw new RapportError(
            'RAPPORT_QUARANTINE_REPLAY_FAILED',
            `${entry.processor} failed on the message again: ${result.error}`,
            { attempts: result.entry?.attempts ?? entry.attempts + 1 },
          );
      }
    },
  );

  app.delete(
    '/api/quarantine/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Discard a quarantined message: its processor will never apply it',
        security,
        params: idParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      if ((await quarantine.remove([id])) === 0)
        throw new RapportError('RAPPORT_API_NOT_FOUND', `no quarantined message ${id}`, { field: 'id' });
      return reply.code(204).send(null);
    },
  );
};
