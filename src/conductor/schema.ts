// The journeys API's contract (journeys, their stats, a person's trips, the arbitration log and
// the outbox): one source for the routes' validation, the OpenAPI document and the dashboard's
// types. Only TypeBox is imported, so the dashboard's compiler can read this file (types only).
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum, type Typed } from '../errors/schema.ts';
import { JourneyDefinitionSchema } from './journey/definition.ts';

/** The store's OutboxStatus; a status it adds fails the outbox route's type check until added here. */
export const OUTBOX_STATUS_VALUES = [
  'queued',
  'deferred',
  'sending',
  'sent',
  'dropped',
  'failed',
  'dead',
] as const;

export const JourneyIdParams = Type.Object({ id: Type.String() });

/**
 * A journey document as sent to be saved or checked: open here, because the journey validator
 * (journey/validate.ts) answers its issues each naming its step and field, which a schema
 * refusal could not.
 */
export const JourneyDocumentBody = Type.Unsafe<unknown>({
  type: 'object',
  additionalProperties: true,
  description: 'a journey document',
});

/** A journey as the API answers it: the document is the saving schema's (it passed it when saved). */
export const JourneySchema = Type.Object({
  journeyId: Type.String(),
  version: Type.Integer(),
  status: StringEnum(['active', 'paused']),
  definition: JourneyDefinitionSchema,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type JourneyAnswer = Static<typeof JourneySchema>;

/** GET /api/journeys/:id/versions/:version: one saved version's document. */
export const JourneyVersionDocumentSchema = Type.Object({
  version: Type.Integer(),
  definition: JourneyDefinitionSchema,
});
export type JourneyVersionDocument = Static<typeof JourneyVersionDocumentSchema>;

/**
 * A refused save: the validator's issues, each naming its step and field. Typed as the fields
 * every error has (as errorSchema is), so a route's 200 answer is still checked; the JSON is open.
 */
export const JourneyInvalidSchema: Typed<{ error: string; message: string }> & { type: 'object' } =
  Type.Unsafe({
    type: 'object',
    properties: {
      error: { type: 'string' },
      message: { type: 'string' },
      issues: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            code: { type: 'string' },
            stepId: { type: 'string' },
            field: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
    additionalProperties: true,
  }) as never;

/** POST /api/journeys/check: the issues saving would refuse, each naming its step and field. */
export const JourneyIssueSchema = Type.Object({
  code: Type.String(),
  stepId: Type.Optional(Type.String()),
  field: Type.String({ description: 'a JSON pointer into the document' }),
  message: Type.String(),
});

export const JourneyCheckSchema = Type.Object({
  ok: Type.Boolean(),
  issues: Type.Array(JourneyIssueSchema, { description: 'empty when ok; each names its step and field' }),
});

export const JourneyVersionSchema = Type.Object({
  version: Type.Integer(),
  savedAt: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
});
export type JourneyIssue = Static<typeof JourneyIssueSchema>;
export type JourneyVersion = Static<typeof JourneyVersionSchema>;

export const JourneyStatsSchema = Type.Object({
  journeyId: Type.String(),
  version: Type.Integer(),
  entered: Type.Integer(),
  active: Type.Integer(),
  completed: Type.Integer(),
  converted: Type.Integer(),
  aborted: Type.Integer(),
  steps: Type.Record(Type.String(), Type.Object({ current: Type.Integer(), passed: Type.Integer() }), {
    description: 'per step id: people there now and passes through it, ever',
  }),
});
export type JourneyStats = Static<typeof JourneyStatsSchema>;

export const PROFILE_JOURNEYS_LIMIT = 50;
export const ProfileJourneysQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: PROFILE_JOURNEYS_LIMIT })),
});

export const ProfileJourneysSchema = Type.Object({
  profileId: Type.String({ description: 'the live profile (a merged-away id answers for it)' }),
  items: Type.Array(
    Type.Object({
      instanceId: Type.String(),
      journeyId: Type.String(),
      name: Type.String({ description: 'the name in the version entered under' }),
      version: Type.Integer(),
      status: StringEnum(['active', 'completed', 'exited'], {
        description: 'active: running or waiting; completed: reached an exit or the goal; exited: taken out',
      }),
      exitReason: Nullable(Type.String({ enum: ['completed', 'converted', 'aborted', null] })),
      currentStep: Type.String({ description: 'the step they are at, or left from' }),
      enteredAt: Type.String(),
      exitedAt: Nullable(Type.String()),
    }),
  ),
});

export type ProfileJourney = Static<typeof ProfileJourneysSchema>['items'][number];

const page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  before: Type.Optional(Type.Integer({ description: 'cursor: rows with a smaller id' })),
};

export const DecisionsQuery = Type.Object({
  profileId: Type.Optional(Type.String()),
  journeyId: Type.Optional(Type.String()),
  ...page,
});

export const DecisionSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  profileId: Type.String(),
  journeyId: Nullable(Type.String()),
  stepId: Nullable(Type.String()),
  idempotencyKey: Type.String(),
  channel: Nullable(Type.String()),
  // The store keeps the action as text; these are the four it writes.
  action: Type.String({ enum: ['send', 'defer', 'drop', 'fail'] }),
  code: Type.String(),
  reason: Type.String(),
  until: Nullable(Type.String()),
});

export type Decision = Static<typeof DecisionSchema>;

export const DecisionsSchema = Type.Object({ items: Type.Array(DecisionSchema) });

export const OutboxQuery = Type.Object({
  status: Type.Optional(StringEnum(OUTBOX_STATUS_VALUES)),
  profileId: Type.Optional(Type.String()),
  journeyId: Type.Optional(Type.String()),
  ...page,
});

export const OutboxItemSchema = Type.Object({
  id: Type.Integer(),
  idempotencyKey: Type.String(),
  profileId: Type.String(),
  journeyId: Nullable(Type.String()),
  stepId: Nullable(Type.String()),
  origin: Type.String(),
  kind: Type.String(),
  status: StringEnum(OUTBOX_STATUS_VALUES),
  attempts: Type.Integer(),
  nextAttemptAt: Type.String(),
  channel: Nullable(Type.String()),
  decisionCode: Nullable(Type.String()),
  decisionReason: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  providerMessageId: Nullable(Type.String()),
  sentAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export type OutboxItem = Static<typeof OutboxItemSchema>;

export const OutboxSchema = Type.Object({ items: Type.Array(OutboxItemSchema) });

/**
 * POST /api/templates/preview: the template rendered as a send renders it. A part the template
 * does not have is absent (a text-only template has no subject or html).
 */
export const RenderedTemplateSchema = Type.Object({
  subject: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  html: Type.Optional(Type.String({ description: 'MJML compiled, as it would be sent' })),
});
export type RenderedTemplate = Static<typeof RenderedTemplateSchema>;

/** POST /api/templates/test-send: what the email channel did with the address typed. */
export const TemplateTestSendAnswerSchema = Type.Object({
  idempotencyKey: Type.String({ description: 'as logged in /api/decisions (code test_send)' }),
  to: Type.String(),
  accepted: Type.Boolean(),
  status: StringEnum(['sent', 'failed', 'retry']),
  error: Nullable(Type.String()),
  subject: Nullable(Type.String({ description: 'the rendered subject; null when the template has none' })),
});
export type TemplateTestSendAnswer = Static<typeof TemplateTestSendAnswerSchema>;
