// Response schemas of the admin API: the single source for validation-free serialisation and
// for the OpenAPI document.
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
      type: ['object', 'null'],
      description: 'The stage in the primary funnel (lifecycle), null when none',
      properties: { stage: { type: 'string' }, since: { type: 'string' } },
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

export const credentialSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['write', 'admin'] },
    name: { type: 'string' },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    secret: { type: 'string', description: 'Shown once, when created.' },
  },
} as const;
