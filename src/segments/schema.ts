// The segments and lifecycle API's contract: requests in TypeBox, answers in JSON Schema (the
// type provider reads both), one source for the routes' validation, their types and the
// OpenAPI document. Only TypeBox is imported, so the dashboard's compiler can read this file.
import { Type } from '@sinclair/typebox';
import { StringEnum, type Typed } from '../errors/schema.ts';

export const SegmentIdParams = Type.Object({ id: Type.String() });
export const MemberParams = Type.Object({ id: Type.String(), profileId: Type.String() });

/** A segment as written: a JSON rule or its text form (the rule parser checks what is in it). */
export const SegmentInput = Type.Object(
  {
    id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    rule: Type.Optional(Type.Unknown()),
    text: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const SegmentListQuery = Type.Object({
  trendDays: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 90,
      description: 'add `trend`: size, joined and left for each of the last trendDays UTC days',
    }),
  ),
});

export const HISTORY_DAYS = 30;
export const SegmentHistoryQuery = Type.Object({
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: HISTORY_DAYS })),
});

export const PreviewQuery = Type.Object({
  sample: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
});

export const MembersQuery = Type.Object({
  cursor: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});

export const FunnelReportQuery = Type.Object({
  funnel: Type.Optional(Type.String()),
  cohort: Type.Optional(Type.String()),
});

/** A funnel document (or a preset): the funnel parser checks what is in it. */
export const FunnelBody = Type.Object({}, { additionalProperties: true });

// Answers keep their fields optional (no `required`), as before: the serializer leaves out what
// a handler does not give rather than failing.
const segmentFields = {
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  rule: Type.Optional(Type.Unsafe<unknown>({ type: 'object', additionalProperties: true })),
  text: Type.Optional(Type.String()),
  version: Type.Optional(Type.Integer()),
  status: Type.Optional(StringEnum(['building', 'live'])),
  size: Type.Optional(Type.Integer()),
  createdAt: Type.Optional(Type.String()),
  updatedAt: Type.Optional(Type.String()),
};
export const segmentSchema = Type.Object(segmentFields);

export const memberSchema = {
  type: 'object',
  properties: { profileId: { type: 'string' }, since: { type: 'string' }, reason: { type: 'string' } },
} as const;

export const pointSchema = {
  type: 'object',
  properties: {
    day: { type: 'string', description: 'UTC day, YYYY-MM-DD' },
    size: { type: 'integer', description: 'members at the end of the day (now, for today)' },
    joined: { type: 'integer' },
    left: { type: 'integer' },
  },
} as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;

/** An answer documented as any object (a rule explanation, a funnel report): typed as an object. */
export const anyObjectAnswer: Typed<object> & typeof anyObject = Type.Unsafe(anyObject) as never;
