// The paths API's contract (GET /api/paths): one source for the route's validation, the OpenAPI
// document and the dashboard's types (web/src/api.ts imports these types; nothing else from here
// reaches the bundle). Only TypeBox is imported, so the dashboard's compiler can read this file.
import { type Static, Type } from '@sinclair/typebox';
import { Nullable } from '../errors/schema.ts';

export const MAX_STEPS = 10;
export const MAX_TOP = 20;

const day = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description });

export const PathsQuery = Type.Object(
  {
    from: Type.Optional(day('first day (UTC); default 29 days before to')),
    to: Type.Optional(day('last day (UTC); default today')),
    steps: Type.Integer({ minimum: 2, maximum: MAX_STEPS, default: 5 }),
    top: Type.Integer({
      minimum: 1,
      maximum: MAX_TOP,
      default: 6,
      description: 'touchpoints kept by name at each step; the rest are "other"',
    }),
    start: Type.Optional(
      Type.String({
        pattern: '^(page|event):.+',
        description: 'paths begin at the first occurrence of this touchpoint (page:Home, event:Signed Up)',
      }),
    ),
    segment: Type.Optional(
      Type.String({ minLength: 1, description: 'only the current members of this segment' }),
    ),
  },
  { additionalProperties: false },
);

/** One touchpoint at one step of the paths (`touchpoint` is page:NAME, event:NAME or other). */
export const PathNode = Type.Object({
  id: Type.String({ description: '<step>|<touchpoint>' }),
  step: Type.Integer({ description: '1 = the first touchpoint of each path' }),
  touchpoint: Type.String({ description: 'page:<name>, event:<name> or other' }),
  kind: Type.Union([Type.Literal('page'), Type.Literal('event'), Type.Literal('other')]),
  name: Type.String(),
  people: Type.Integer(),
  ended: Type.Integer({ description: 'people whose path ends at this node' }),
});
export type PathNode = Static<typeof PathNode>;

export const Paths = Type.Object({
  from: Type.String({ description: 'first day, YYYY-MM-DD (UTC), inclusive' }),
  to: Type.String({ description: 'last day, YYYY-MM-DD (UTC), inclusive' }),
  steps: Type.Integer(),
  top: Type.Integer(),
  start: Nullable(Type.String()),
  segment: Nullable(Type.String()),
  people: Type.Integer({ description: 'people with at least one touchpoint in the range' }),
  nodes: Type.Array(PathNode),
  links: Type.Array(
    Type.Object({
      source: Type.String(),
      target: Type.String(),
      step: Type.Integer(),
      people: Type.Integer(),
    }),
    { description: 'transitions from step k to step k + 1, most people first' },
  ),
});
export type Paths = Static<typeof Paths>;
