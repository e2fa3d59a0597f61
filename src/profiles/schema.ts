// Schemas of the profile, consent, erasure and export routes (request and response), the
// source of their validation, their types (through the type provider) and of their part of the
// OpenAPI document. Requests are TypeBox; answers are JSON Schema, which the type provider reads
// too. Only TypeBox is imported, so the dashboard's compiler can read this file (types only).
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../errors/schema.ts';

export const idParams = Type.Object({ id: Type.String({ minLength: 1 }) });

const consentStateSchema = { type: 'string', enum: ['granted', 'denied', 'unknown'] } as const;

export const profileSummarySchema = {
  type: 'object',
  properties: {
    profileId: { type: 'string' },
    firstSeen: { type: 'string' },
    lastSeen: { type: 'string' },
    eventCount: { type: 'integer' },
    traits: { type: 'object', additionalProperties: true },
    identities: {
      type: 'array',
      items: { type: 'object', properties: { kind: { type: 'string' }, value: { type: 'string' } } },
    },
  },
} as const;

export const profileListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: profileSummarySchema },
    nextCursor: {
      type: ['string', 'null'],
      description: 'Pass as cursor for the next page; null at the end.',
    },
  },
} as const;

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

export const timelineSchema = {
  type: 'object',
  properties: {
    profileId: { type: 'string' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          seq: { type: 'integer' },
          messageId: { type: 'string' },
          type: { type: 'string' },
          name: { type: ['string', 'null'] },
          timestamp: { type: 'string' },
          receivedAt: { type: 'string' },
          properties: { type: 'object', additionalProperties: true },
          profileId: { type: 'string' },
        },
      },
    },
    nextCursor: { type: ['string', 'null'] },
  },
} as const;

const decisionSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    profileId: { type: 'string' },
    purpose: { type: 'string' },
    state: consentStateSchema,
    at: { type: 'string' },
    source: { type: 'string' },
    messageId: { type: 'string' },
    note: { type: ['string', 'null'], description: 'why, as recorded (the admin consent PUT’s note)' },
  },
} as const;

export const consentSchema = {
  type: 'object',
  properties: {
    profileId: { type: 'string' },
    consent: { type: 'object', additionalProperties: true },
    history: { type: 'array', items: decisionSchema },
  },
} as const;

export const consentBody = Type.Object({
  purposes: Type.Object(
    {},
    { description: 'purpose: granted | denied | unknown (or true / false)', additionalProperties: true },
  ),
  note: Type.Optional(Type.String({ maxLength: 500 })),
});

export const consentAcceptedSchema = {
  type: 'object',
  properties: {
    profileId: { type: 'string' },
    messageId: { type: 'string' },
    purposes: { type: 'object', additionalProperties: consentStateSchema },
    status: { type: 'string', description: 'queued: the profiles processor applies it from the log' },
  },
} as const;

export const erasureJobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['running', 'complete', 'failed'] },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          status: { type: 'string', enum: ['pending', 'done'] },
          doneAt: { type: ['string', 'null'] },
          count: { type: 'integer' },
        },
      },
    },
    requestedAt: { type: 'string' },
    updatedAt: { type: 'string' },
    completedAt: { type: ['string', 'null'] },
    suppressedCount: {
      type: 'integer',
      description: 'messages dropped at ingest for carrying an erased identifier',
    },
    error: { type: ['string', 'null'] },
  },
} as const;

export const exportSchema = {
  type: 'object',
  description: 'Everything held about the person: profile, consent history, dead letters, every event',
  additionalProperties: true,
} as const;

const traitSource = {
  type: 'object',
  properties: { at: { type: 'string' }, source: { type: 'string' }, messageId: { type: 'string' } },
} as const;

export const mergeSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string' },
    outcome: { type: 'string', enum: ['merged', 'refused'] },
    winnerId: { type: 'string' },
    loserId: { type: 'string' },
    messageId: { type: 'string' },
    reason: { type: 'string' },
  },
} as const;

export const profileSchema = {
  type: 'object',
  properties: {
    profileId: { type: 'string' },
    createdAt: { type: 'string' },
    firstSeen: { type: 'string' },
    lastSeen: { type: 'string' },
    eventCount: { type: 'integer' },
    traits: { type: 'object', additionalProperties: true },
    traitSources: { type: 'object', additionalProperties: traitSource },
    groups: { type: 'object', additionalProperties: true },
    identities: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: { type: 'string' }, value: { type: 'string' }, firstSeen: { type: 'string' } },
      },
    },
    mergedFrom: { type: 'array', items: { type: 'string' } },
    merges: { type: 'array', items: mergeSchema },
    consent: {
      type: 'object',
      description: 'Per purpose: granted, denied or unknown; allowed says what a sender may do',
      additionalProperties: {
        type: 'object',
        properties: {
          state: { type: 'string', enum: ['granted', 'denied', 'unknown'] },
          allowed: { type: 'boolean' },
          at: { type: ['string', 'null'] },
          source: { type: ['string', 'null'] },
          messageId: { type: ['string', 'null'] },
        },
      },
    },
    computedProperties: {
      type: 'object',
      description: 'Values other modules computed (value score, CLV, lifecycle stage…)',
      additionalProperties: {
        type: 'object',
        properties: { value: {}, computedAt: { type: 'string' } },
      },
    },
    lastEvents: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          messageId: { type: 'string' },
          type: { type: 'string' },
          name: { type: ['string', 'null'] },
          timestamp: { type: 'string' },
          properties: { type: 'object', additionalProperties: true },
        },
      },
    },
    segments: {
      type: 'array',
      description: 'Live segments the profile is in now (docs/segments.md)',
      items: {
        type: 'object',
        properties: { segmentId: { type: 'string' }, since: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    lifecycleStage: {
      description: 'The stage in the primary funnel (lifecycle), null when none',
      anyOf: [
        { type: 'object', properties: { stage: { type: 'string' }, since: { type: 'string' } } },
        { type: 'null' },
      ],
    },
    stages: {
      type: 'array',
      description: 'The current stage in every lifecycle funnel',
      items: {
        type: 'object',
        properties: { funnelId: { type: 'string' }, stage: { type: 'string' }, since: { type: 'string' } },
      },
    },
  },
} as const;
