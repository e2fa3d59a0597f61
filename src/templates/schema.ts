// The template library's HTTP shapes: one TypeBox source for validation, the OpenAPI document
// and the handlers' types.
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../errors/schema.ts';
import { TEMPLATE_CHANNELS } from './model.ts';

export const TemplateIdSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9_.:-]+$',
  description: 'Letters, digits and _ . : - (made from the name when not given)',
});
// Literal unions, not StringEnum: strictBody compiles body schemas with TypeBox's own compiler.
export const ChannelNameSchema = Type.Union(
  [Type.Literal('email'), Type.Literal('sms'), Type.Literal('push')],
  {
    description: `One of ${TEMPLATE_CHANNELS.join(', ')}`,
  },
);
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ maxLength: 2_000 });

export const CreateTemplateSchema = Type.Object(
  {
    name: Name,
    channel: ChannelNameSchema,
    content: Type.Record(Type.String(), Type.String()),
    description: Type.Optional(Description),
    id: Type.Optional(TemplateIdSchema),
  },
  { additionalProperties: false },
);
export type CreateTemplate = Static<typeof CreateTemplateSchema>;

export const EditTemplateSchema = Type.Object(
  {
    baseVersion: Type.Integer({
      minimum: 1,
      description: 'The version this edit was made on; refused (409) when another edit was saved since',
    }),
    name: Name,
    content: Type.Record(Type.String(), Type.String()),
    description: Type.Optional(Description),
    note: Type.Optional(Type.String({ maxLength: 500, description: 'What changed, for the history' })),
  },
  { additionalProperties: false },
);
export type EditTemplate = Static<typeof EditTemplateSchema>;

export const DuplicateTemplateSchema = Type.Object(
  { name: Type.Optional(Name) },
  { additionalProperties: false },
);

export const StatusSchema = Type.Object(
  { status: Type.Union([Type.Literal('active'), Type.Literal('archived')]) },
  { additionalProperties: false },
);

export const RenderSchema = Type.Object(
  {
    channel: ChannelNameSchema,
    content: Type.Record(Type.String(), Type.String()),
    profileId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Whose values fill it (none: sample traits)',
      }),
    ),
    traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type RenderInput = Static<typeof RenderSchema>;

export const TestSendSchema = Type.Object(
  {
    channel: ChannelNameSchema,
    content: Type.Record(Type.String(), Type.String()),
    to: Type.String({
      minLength: 1,
      maxLength: 320,
      description:
        'email: an address; sms: a number in international form (+44…); push: the user id the provider knows',
    }),
    profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type TestSendInput = Static<typeof TestSendSchema>;

export const SmsFactsSchema = Type.Object({
  encoding: StringEnum(['GSM-7', 'UCS-2'] as const),
  segments: Type.Integer(),
  characters: Type.Integer(),
  unicodeCharacters: Type.Array(Type.String()),
});

export const TemplateUseSchema = Type.Object({
  journeyId: Type.String(),
  journeyName: Type.String(),
  journeyVersion: Type.Integer(),
  status: Type.String(),
  stepId: Type.String(),
  pinnedVersion: Nullable(Type.Integer()),
  copiedVersion: Nullable(Type.Integer()),
});

export const TemplateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  channel: ChannelNameSchema,
  status: StringEnum(['active', 'archived'] as const),
  latestVersion: Type.Integer(),
  content: Type.Record(Type.String(), Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Nullable(Type.String()),
  usedBy: Type.Array(TemplateUseSchema),
  sms: Type.Optional(SmsFactsSchema),
});
export type TemplateView = Static<typeof TemplateSchema>;

export const VersionSchema = Type.Object({
  templateId: Type.String(),
  version: Type.Integer(),
  content: Type.Record(Type.String(), Type.String()),
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
  note: Nullable(Type.String()),
});

export const RenderedSchema = Type.Object({
  channel: ChannelNameSchema,
  subject: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  html: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  body: Type.Optional(Type.String()),
  deepLink: Type.Optional(Type.String()),
  sms: Type.Optional(SmsFactsSchema),
});
export type Rendered = Static<typeof RenderedSchema>;

export const TestSendResultSchema = Type.Object({
  idempotencyKey: Type.String({ description: 'as logged in /api/decisions (code test_send)' }),
  to: Type.String(),
  accepted: Type.Boolean(),
  status: StringEnum(['sent', 'failed', 'retry'] as const),
  error: Nullable(Type.String()),
});
