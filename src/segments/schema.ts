// The segments and lifecycle API's contract in TypeBox: one source for the routes' validation,
// their serialisation, their types, the OpenAPI document and the dashboard's types (web/src/api.ts
// imports them). An answer's field is required where the handler always sets it: the serialiser
// sends only what is declared here. Only TypeBox is imported, so the dashboard's compiler can read
// this file (types only; nothing from here reaches the bundle).
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../errors/schema.ts';

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

const savedSegmentFields = {
  id: Type.String(),
  name: Type.String(),
  rule: Type.Unsafe<unknown>({
    type: 'object',
    additionalProperties: true,
    description: 'the rule as JSON (docs/segments.md)',
  }),
  text: Type.String({ description: 'the rule in the text form' }),
  version: Type.Integer(),
  status: StringEnum(['building', 'live'], {
    description: 'building: being computed from history; live: kept up to date as events arrive',
  }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

/** A segment as saved (POST and PUT answer it before it is built, so without a size). */
export const SavedSegment = Type.Object(savedSegmentFields);
export type SavedSegment = Static<typeof SavedSegment>;

/** A segment with its member count now. */
export const Segment = Type.Object({
  ...savedSegmentFields,
  size: Type.Integer({ description: 'members now' }),
});
export type Segment = Static<typeof Segment>;

/** A segment's size at the end of a UTC day, with who joined and left that day. */
export const MembershipPoint = Type.Object({
  day: Type.String({ description: 'UTC day, YYYY-MM-DD' }),
  size: Type.Integer({ description: 'members at the end of the day (now, for today)' }),
  joined: Type.Integer(),
  left: Type.Integer(),
});
export type MembershipPoint = Static<typeof MembershipPoint>;

export const SegmentList = Type.Object({
  segments: Type.Array(
    Type.Object({
      ...Segment.properties,
      trend: Type.Optional(
        Type.Array(MembershipPoint, {
          description: 'with trendDays: the last trendDays UTC days, oldest first',
        }),
      ),
    }),
  ),
});
export type SegmentList = Static<typeof SegmentList>;

export const SegmentHistory = Type.Object({
  segmentId: Type.String(),
  points: Type.Array(MembershipPoint),
});
export type SegmentHistory = Static<typeof SegmentHistory>;

export const Preview = Type.Object({
  size: Type.Integer({ description: 'people the rule holds for now' }),
  sample: Type.Array(Type.String(), { description: 'some of their profile ids' }),
  text: Type.String({ description: 'the rule in the text form' }),
});
export type Preview = Static<typeof Preview>;

export const SegmentMember = Type.Object({
  profileId: Type.String(),
  since: Type.String(),
  reason: Type.String(),
});

export const SegmentMembers = Type.Object({
  members: Type.Array(SegmentMember),
  nextCursor: Nullable(Type.String()),
});
export type SegmentMembers = Static<typeof SegmentMembers>;

/** A rule node evaluated for one person (src/segments/explain.ts), its children below it. */
export const RuleExplanation = Type.Recursive(
  (Node) =>
    Type.Object({
      path: Type.String({ description: 'JSON pointer of the node in the rule' }),
      rule: Type.String({ description: 'the node in the text form' }),
      holds: Type.Boolean(),
      observed: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), { description: 'a condition’s values it looked at' }),
      ),
      children: Type.Optional(Type.Array(Node)),
    }),
  { $id: 'RuleExplanation' },
);
export type RuleExplanation = Static<typeof RuleExplanation>;

export const SegmentWhy = Type.Object({
  segmentId: Type.String(),
  profileId: Type.String({ description: 'the person (a merged-away id answers for the survivor)' }),
  member: Type.Boolean(),
  since: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  at: Type.String({ description: 'the instant the rule was evaluated at' }),
  explanation: RuleExplanation,
  history: Type.Array(
    Type.Object({
      segmentId: Type.String(),
      profileId: Type.String(),
      change: StringEnum(['entered', 'exited']),
      at: Type.String(),
      reason: Type.String(),
    }),
    { description: 'the person’s entries and exits' },
  ),
});
export type SegmentWhy = Static<typeof SegmentWhy>;

export const FunnelStageReport = Type.Object({
  id: Type.String(),
  name: Type.String(),
  current: Type.Integer({ description: 'profiles whose current stage is this one' }),
  reached: Type.Integer({ description: 'profiles that have been at this stage or a later one' }),
  conversionFromPrevious: Type.Union([Type.Number(), Type.Null()], {
    description: 'reached / reached of the previous stage; null for the first or when it reached none',
  }),
  medianTimeInStageMs: Type.Union([Type.Number(), Type.Null()], {
    description: 'median of completed stays, in ms; null without any',
  }),
  completedStays: Type.Integer(),
});
export type FunnelStageReport = Static<typeof FunnelStageReport>;

export const FunnelReport = Type.Object({
  funnelId: Type.String(),
  cohort: Nullable(Type.String()),
  profiles: Type.Integer({ description: 'profiles that reached the first stage' }),
  stages: Type.Array(FunnelStageReport),
  computedAt: Type.String({ description: 'as of when (kept up to 5 minutes)' }),
});
export type FunnelReport = Static<typeof FunnelReport>;

const ruleJson = Type.Unsafe<unknown>({
  type: 'object',
  additionalProperties: true,
  description: 'the stage rule as JSON (docs/segments.md)',
});

/** A lifecycle funnel as saved (src/segments/lifecycle.ts, describeFunnel), with its build state. */
export const Funnel = Type.Object({
  id: Type.String(),
  name: Type.String(),
  stages: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      rule: ruleJson,
      text: Type.String({ description: 'the stage rule in the text form' }),
    }),
  ),
  version: Type.Integer(),
  status: StringEnum(['building', 'live']),
});
export type Funnel = Static<typeof Funnel>;

export const FunnelList = Type.Object({ funnels: Type.Array(Funnel) });
export type FunnelList = Static<typeof FunnelList>;

export const FunnelSaved = Type.Object({
  id: Type.String(),
  changed: Type.Boolean({ description: 'false when the funnel was already saved as given' }),
});
export type FunnelSaved = Static<typeof FunnelSaved>;
