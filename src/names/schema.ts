// GET /api/names's answer (TypeBox): the route serialises with it, the OpenAPI document shows it,
// and the dashboard's pickers import its type (web/src/api.ts).
import { type Static, Type } from '@sinclair/typebox';

export const SeenNameSchema = Type.Object({
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
export type SeenName = Static<typeof SeenNameSchema>;
export type Names = Static<typeof NameCatalogSchema>;
