// GET /api/names: what the pickers offer (docs/pickers.md).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { cachedNameCatalog, type NameSources } from './catalog.ts';
import { NameCatalogSchema } from './schema.ts';

/** How long one count of the names serves the pickers. */
export const NAMES_FRESH_MS = 60_000;

export async function nameRoutes(
  app: FastifyInstance,
  options: { sources: NameSources; freshMs?: number },
): Promise<void> {
  const catalog = cachedNameCatalog(options.sources, options.freshMs ?? NAMES_FRESH_MS);
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/names',
    {
      config: { access: 'read' },
      schema: {
        tags: ['names'],
        summary:
          'Names seen (events with their properties, traits) with counts and last seen (counted at most once a minute), and the segments, lifecycle stages, consent purposes and channels defined: what the dashboard’s pickers offer',
        security: [{ adminToken: [] }],
        response: { 200: NameCatalogSchema },
      },
    },
    async () => catalog(),
  );
}
