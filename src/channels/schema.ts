// The delivery side's admin contract (tasks, a person's channel preference, the webhook signing
// key): one source for the routes' validation, the OpenAPI document and the dashboard's types.
// Only TypeBox is imported, so the dashboard's compiler can read this file (types only).
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../errors/schema.ts';

export const TASK_STATUSES = ['open', 'claimed', 'completed'] as const;

const nullableText = () => Nullable(Type.String());

/** A task as the store keeps it (TaskRow). */
export const Task = Type.Object({
  id: Type.String(),
  idempotencyKey: Type.String(),
  profileId: Type.String(),
  queue: Type.String(),
  title: Type.String(),
  note: nullableText(),
  status: StringEnum(TASK_STATUSES),
  journeyId: nullableText(),
  stepId: nullableText(),
  createdAt: Type.String(),
  dueAt: nullableText(),
  claimedBy: nullableText(),
  claimedAt: nullableText(),
  completedBy: nullableText(),
  completedAt: nullableText(),
  outcome: nullableText(),
});
export type Task = Static<typeof Task>;

export const TaskListQuery = Type.Object({
  queue: Type.Optional(Type.String()),
  status: Type.Optional(StringEnum(TASK_STATUSES)),
  after: Type.Optional(Type.String({ description: 'Cursor: the last task id of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});
export type TaskListQuery = Static<typeof TaskListQuery>;

export const TaskList = Type.Object({ items: Type.Array(Task) });
export type TaskList = Static<typeof TaskList>;

export const IdParams = Type.Object({ id: Type.String() });

const person = () => Type.String({ minLength: 1, maxLength: 200 });
export const TaskClaim = Type.Object({ by: person() });
export const TaskCompletion = Type.Object({
  outcome: Type.String({ minLength: 1, maxLength: 200 }),
  by: person(),
});

export const ChannelPreferences = Type.Object({
  profileId: Type.String(),
  best: Type.Optional(
    Type.Union([Type.Object({ channel: Type.String(), explanation: Type.String() }), Type.Null()], {
      description: 'the best consented channel; absent when none is consented',
    }),
  ),
  estimates: Type.Array(
    Type.Object({
      channel: Type.String(),
      rate: Type.Number(),
      sent: Type.Integer(),
      engaged: Type.Integer(),
      consented: Type.Boolean(),
      explanation: Type.String(),
    }),
  ),
});
export type ChannelPreferences = Static<typeof ChannelPreferences>;

export const WebhookSigningKey = Type.Object({ key: Type.String(), algorithm: Type.String() });

/** An email the sandbox kept (GET /api/sandbox/emails): the list shows the summary. */
const capturedSummary = {
  id: Type.String({ description: 'the send’s idempotency key' }),
  profileId: Type.String(),
  to: Type.String(),
  from: Type.String(),
  subject: Type.String(),
  journeyId: Nullable(Type.String()),
  stepId: Nullable(Type.String()),
  templateId: Nullable(Type.String()),
  capturedAt: Type.String(),
};
export const CapturedEmailSummary = Type.Object(capturedSummary);
export type CapturedEmailSummary = Static<typeof CapturedEmailSummary>;

export const CapturedEmailDetail = Type.Object({
  ...capturedSummary,
  text: Nullable(Type.String({ description: 'the text part as it would be sent' })),
  html: Nullable(Type.String({ description: 'the HTML part as it would be sent (tracking links, pixel)' })),
});
export type CapturedEmailDetail = Static<typeof CapturedEmailDetail>;

/** A configured channel as the Settings page shows it (GET /api/channels): never a secret. */
export const ChannelInfo = Type.Object({
  name: Type.String(),
  purpose: Type.String({ description: 'The consent purpose a marketing send on it needs' }),
  transport: StringEnum(['smtp', 'sandbox', 'webhook', 'task', 'custom']),
  host: Type.Optional(
    Type.String({ description: 'the relay or fixed destination host (a URL may carry a key)' }),
  ),
  port: Type.Optional(Type.Integer()),
  secure: Type.Optional(Type.Boolean()),
  authenticated: Type.Optional(
    Type.Boolean({ description: 'The relay takes a user name and password (never shown)' }),
  ),
  from: Type.Optional(Type.String()),
  destination: Type.String({ description: 'where a send goes' }),
  testable: Type.Boolean(),
  testTo: Type.Optional(
    Type.String({
      description: 'What POST /api/channels/{name}/test expects in `to`; absent when not testable',
    }),
  ),
});
export type ChannelInfo = Static<typeof ChannelInfo>;
export const ChannelList = Type.Object({ items: Type.Array(ChannelInfo) });

/** What a test send through a channel did (POST /api/channels/{name}/test). */
export const ChannelTestSend = Type.Object({
  channel: Type.String(),
  to: Type.String({ description: 'as logged (a URL: scheme and host only)' }),
  accepted: Type.Boolean(),
  status: StringEnum(['sent', 'failed', 'retry']),
  error: nullableText(),
  providerMessageId: nullableText(),
  idempotencyKey: Type.String(),
  reason: Type.String({ description: 'the arbitration log’s line for it (code test_send)' }),
});
export type ChannelTestSend = Static<typeof ChannelTestSend>;

/** The consent purposes and what needs each (GET /api/consent-purposes). */
export const ConsentPurposes = Type.Object({
  configuredBy: Type.String(),
  editable: Type.Boolean({ description: 'purposes can be added, described and retired through the API' }),
  purposes: Type.Array(
    Type.Object({
      purpose: Type.String(),
      configured: Type.Boolean({
        description: 'false: something needs it but it is not in the list, so no one can grant it',
      }),
      usedBy: Type.Array(Type.String()),
      description: nullableText(),
      source: StringEnum(['configuration', 'api']),
    }),
  ),
  retired: Type.Array(
    Type.Object({ purpose: Type.String(), description: nullableText(), retiredAt: Type.String() }),
  ),
  rules: Type.Array(Type.String()),
});
export type ConsentPurposes = Static<typeof ConsentPurposes>;
