// Schemas of the profile, consent, erasure and export routes (request and response), in TypeBox:
// the source of their validation, their serialisation, their types (through the type provider),
// their part of the OpenAPI document and the dashboard's types (web/src/api.ts imports them).
// An answer's field is required where the handler always sets it: the serialiser sends only
// what is declared here. Only TypeBox is imported, so the dashboard's compiler can read this
// file (types only; nothing from here reaches the bundle).
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../errors/schema.ts';

export const idParams = Type.Object({ id: Type.String({ minLength: 1 }) });

const pageLimit = () => Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 }));

export const profileListQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'userId, anonymousId, email or profile id (exact); else a name (name, first_name, last_name or "first last")',
      }),
    ),
    lastSeenAfter: Type.Optional(Type.String({ format: 'date-time' })),
    lastSeenBefore: Type.Optional(Type.String({ format: 'date-time' })),
    cursor: Type.Optional(Type.String()),
    limit: pageLimit(),
  },
  {
    patternProperties: {
      '^trait\\.': { type: 'string', description: 'trait.plan=pro: the trait equals this value (as text)' },
    },
  },
);

export const lookupQuery = Type.Object({
  userId: Type.Optional(Type.String()),
  anonymousId: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
});

export const profileQuery = Type.Object({
  events: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
});

export const timelineQuery = Type.Object({
  name: Type.Optional(Type.String()),
  type: Type.Optional(StringEnum(['track', 'identify', 'page', 'screen', 'group', 'alias'])),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive' })),
  cursor: Type.Optional(Type.String()),
  limit: pageLimit(),
});

export const consentBody = Type.Object({
  purposes: Type.Object(
    {},
    { description: 'purpose: granted | denied | unknown (or true / false)', additionalProperties: true },
  ),
  note: Type.Optional(Type.String({ maxLength: 500 })),
});

const anyValues = (description?: string) =>
  Type.Record(Type.String(), Type.Unknown(), description ? { description } : {});

export const CONSENT_STATES = ['granted', 'denied', 'unknown'] as const;

/** One page of profiles (GET /api/profiles). */
export const ProfileSummary = Type.Object({
  profileId: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  eventCount: Type.Integer(),
  traits: anyValues('trait name → its current value'),
  identities: Type.Array(Type.Object({ kind: Type.String(), value: Type.String() })),
});
export type ProfileSummary = Static<typeof ProfileSummary>;

export const ProfileList = Type.Object({
  items: Type.Array(ProfileSummary),
  nextCursor: Nullable(Type.String({ description: 'Pass as cursor for the next page; null at the end.' })),
});
export type ProfileList = Static<typeof ProfileList>;

export const TimelineEvent = Type.Object({
  seq: Type.Integer(),
  messageId: Type.String(),
  type: Type.String(),
  name: Nullable(Type.String()),
  timestamp: Type.String(),
  receivedAt: Type.String(),
  properties: anyValues(),
  profileId: Type.String({ description: 'the profile it was recorded on (a merged one, perhaps)' }),
});
export type TimelineEvent = Static<typeof TimelineEvent>;

export const Timeline = Type.Object({
  profileId: Type.String(),
  items: Type.Array(TimelineEvent, { description: 'newest first' }),
  nextCursor: Nullable(Type.String()),
});
export type Timeline = Static<typeof Timeline>;

/** A purpose's consent as a sender reads it (src/profiles/view.ts, consentViewOf). */
export const PurposeConsent = Type.Object({
  state: StringEnum(CONSENT_STATES),
  allowed: Type.Boolean({
    description: 'what a sender may do: unknown is no for every purpose but analytics',
  }),
  at: Nullable(Type.String()),
  source: Nullable(Type.String()),
  messageId: Nullable(Type.String()),
});
export type PurposeConsent = Static<typeof PurposeConsent>;

const consentPerPurpose = Type.Record(Type.String(), PurposeConsent, {
  description: 'Per purpose: granted, denied or unknown; allowed says what a sender may do',
});

export const ConsentDecisionRecord = Type.Object({
  id: Type.Integer(),
  profileId: Type.String(),
  purpose: Type.String(),
  state: StringEnum(CONSENT_STATES),
  at: Type.String(),
  source: Type.String(),
  messageId: Type.String(),
  note: Nullable(Type.String({ description: 'why, as recorded (the admin consent PUT’s note)' })),
});

export const ConsentHistory = Type.Object({
  profileId: Type.String(),
  consent: consentPerPurpose,
  history: Type.Array(ConsentDecisionRecord),
});
export type ConsentHistory = Static<typeof ConsentHistory>;

export const ConsentAccepted = Type.Object({
  profileId: Type.String(),
  messageId: Type.String(),
  purposes: Type.Record(Type.String(), StringEnum(CONSENT_STATES)),
  status: StringEnum(['queued'], { description: 'queued: the profiles processor applies it from the log' }),
});
export type ConsentAccepted = Static<typeof ConsentAccepted>;

export const ERASURE_STATUSES = ['running', 'complete', 'failed'] as const;

export const ErasureJob = Type.Object({
  id: Type.String(),
  status: StringEnum(ERASURE_STATUSES),
  steps: Type.Array(
    Type.Object({
      name: Type.String(),
      status: StringEnum(['pending', 'done']),
      doneAt: Nullable(Type.String()),
      count: Type.Integer({ description: 'rows (or messages) the step removed or wrote' }),
    }),
  ),
  requestedAt: Type.String(),
  updatedAt: Type.String(),
  completedAt: Nullable(Type.String()),
  suppressedCount: Type.Integer({
    description: 'messages dropped at ingest for carrying an erased identifier',
  }),
  error: Nullable(Type.String()),
});
export type ErasureJob = Static<typeof ErasureJob>;

/** Streamed past the serialiser (src/profiles/export.ts): documented, not checked. */
export const exportSchema = {
  type: 'object',
  description: 'Everything held about the person: profile, consent history, dead letters, every event',
  additionalProperties: true,
} as const;

export const MergeRecord = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  outcome: StringEnum(['merged', 'refused']),
  winnerId: Type.String(),
  loserId: Type.String(),
  messageId: Type.String(),
  reason: Type.String(),
});

/** The profile 360 (GET /api/profiles/:id and /api/profiles/lookup; src/profiles/view.ts builds it). */
export const Profile360 = Type.Object({
  profileId: Type.String(),
  createdAt: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  eventCount: Type.Integer(),
  traits: anyValues('trait name → its current value'),
  traitSources: Type.Record(
    Type.String(),
    Type.Object({ at: Type.String(), source: Type.String(), messageId: Type.String() }),
  ),
  groups: Type.Record(
    Type.String(),
    Type.Object({
      groupId: Type.String(),
      traits: anyValues(),
      at: Type.String(),
      messageId: Type.Optional(Type.String()),
    }),
  ),
  identities: Type.Array(
    Type.Object({ kind: Type.String(), value: Type.String(), firstSeen: Type.String() }),
  ),
  mergedFrom: Type.Array(Type.String()),
  merges: Type.Array(MergeRecord),
  consent: consentPerPurpose,
  computedProperties: Type.Record(
    Type.String(),
    Type.Object({ value: Type.Unknown(), computedAt: Type.String() }),
    { description: 'Values other modules computed (value score, CLV, lifecycle stage…)' },
  ),
  lastEvents: Type.Array(
    Type.Object({
      messageId: Type.String(),
      type: Type.String(),
      name: Nullable(Type.String()),
      timestamp: Type.String(),
      properties: anyValues(),
    }),
  ),
  segments: Type.Optional(
    Type.Array(Type.Object({ segmentId: Type.String(), since: Type.String(), reason: Type.String() }), {
      description: 'Live segments the profile is in now (docs/segments.md); absent when they do not run here',
    }),
  ),
  lifecycleStage: Type.Optional(
    Type.Union([Type.Object({ stage: Type.String(), since: Type.String() }), Type.Null()], {
      description:
        'The stage in the primary funnel (lifecycle), null when none; absent without live segments',
    }),
  ),
  stages: Type.Optional(
    Type.Array(Type.Object({ funnelId: Type.String(), stage: Type.String(), since: Type.String() }), {
      description: 'The current stage in every lifecycle funnel; absent without live segments',
    }),
  ),
});
export type Profile360 = Static<typeof Profile360>;
