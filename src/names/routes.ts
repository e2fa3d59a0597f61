// GET /api/names: what the pickers offer (docs/pickers.md).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { cachedNameCatalog, type NameSources } from './catalog.ts';

/** How long one count of the names serves the pickers. */
export const NAMES_FRESH_MS = 60_000;

const SeenNameSchema = Type.Object({
  name: Type.String(),
  count: Type.Integer({ description: 'events (for an event or property); people (for a trait)' }),
  lastSeen: Type.Union([Type.String(), Type.Null()], {
    description: 'the latest event timestamp carrying it',
  }),
});

export const NameCatalogSchema = Type.Object({
  events: Type.Array(
    Type.Composite([SeenNameSchema, Type.Object({ properties: Type.Array(SeenNameSchema) })]),
    { description: 'track, page and screen names, most frequent first, each with its property names' },
  ),
  traits: Type.Array(SeenNameSchema, {
    description: 'traits identifies carried, by the people who had them',
  }),
  segments: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  stages: Type.Array(Type.String(), { description: 'the lifecycle funnel’s stage ids, in order' }),
  purposes: Type.Array(Type.String(), { description: 'the configured consent purposes' }),
  channels: Type.Array(Type.String()),
});

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
