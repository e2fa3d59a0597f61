// Schemas of the profile, consent, erasure and export routes (request and response), the
// source of their validation and of their part of the OpenAPI document.
export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1 } },
  required: ['id'],
} as const;

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

export const profileListQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', minLength: 1, description: 'userId, anonymousId, email or profile id (exact)' },
    lastSeenAfter: { type: 'string', format: 'date-time' },
    lastSeenBefore: { type: 'string', format: 'date-time' },
    cursor: { type: 'string' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
  patternProperties: {
    '^trait\\.': { type: 'string', description: 'trait.plan=pro: the trait equals this value (as text)' },
  },
} as const;

export const timelineQuery = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['track', 'identify', 'page', 'screen', 'group', 'alias'] },
    from: { type: 'string', format: 'date-time', description: 'inclusive' },
    to: { type: 'string', format: 'date-time', description: 'exclusive' },
    cursor: { type: 'string' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const;

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

export const consentBody = {
  type: 'object',
  properties: {
    purposes: {
      type: 'object',
      description: 'purpose: granted | denied | unknown (or true / false)',
      additionalProperties: true,
    },
    note: { type: 'string', maxLength: 500 },
  },
  required: ['purposes'],
} as const;

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
