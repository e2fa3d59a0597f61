// The journey definition: the document a marketer saves (JSON, the API, `rapport apply`).
// One TypeBox schema is the source of both the TypeScript types and the shape check; the
// meaning checks (graph, percentages, templates) live in validate.ts.
import { type Static, Type } from '@sinclair/typebox';

/** The shape of a journey document. Bump when a saved document must be migrated. */
export const JOURNEY_FORMAT_VERSION = 1;

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });
const StepRef = Type.String({ minLength: 1, maxLength: 128 });

export const ChannelSchema = Type.Union([
  Type.Literal('email'),
  Type.Literal('sms'),
  Type.Literal('push'),
  Type.Literal('webhook'),
]);
export type Channel = Static<typeof ChannelSchema>;
export const CHANNELS: readonly Channel[] = ['email', 'sms', 'push', 'webhook'];

export const DurationSchema = Type.Object(
  {
    amount: Type.Number({ exclusiveMinimum: 0 }),
    unit: Type.Union([
      Type.Literal('minutes'),
      Type.Literal('hours'),
      Type.Literal('days'),
      Type.Literal('weeks'),
    ]),
  },
  { additionalProperties: false },
);
export type Duration = Static<typeof DurationSchema>;

/** A wall-clock time, `HH:MM`, 24-hour. */
export const TimeOfDaySchema = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/**
 * One filter on an event property. Same JSON shape as a segment rule's property filter
 * (`{ property, test }`) so the two can share an evaluator once segments opens a door for it.
 */
export const PropertyFilterSchema = Type.Object(
  {
    property: Type.String({ minLength: 1 }),
    test: Type.Union([
      Type.Object({
        op: Type.Union([
          Type.Literal('eq'),
          Type.Literal('neq'),
          Type.Literal('gt'),
          Type.Literal('gte'),
          Type.Literal('lt'),
          Type.Literal('lte'),
        ]),
        value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
      }),
      Type.Object({
        op: Type.Literal('in'),
        values: Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
      }),
      Type.Object({ op: Type.Literal('exists') }),
    ]),
  },
  { additionalProperties: false },
);
export type PropertyFilter = Static<typeof PropertyFilterSchema>;

export const EventMatchSchema = Type.Object(
  { event: Type.String({ minLength: 1 }), where: Type.Optional(Type.Array(PropertyFilterSchema)) },
  { additionalProperties: false },
);
export type EventMatch = Static<typeof EventMatchSchema>;

export const EntryTriggerSchema = Type.Union([
  /** A tracked event, optionally filtered by its properties. */
  Type.Object(
    {
      kind: Type.Literal('event'),
      event: Type.String({ minLength: 1 }),
      where: Type.Optional(Type.Array(PropertyFilterSchema)),
    },
    { additionalProperties: false },
  ),
  /** Entering or leaving a segment (the `Segment Entered` / `Segment Exited` internal events). */
  Type.Object(
    {
      kind: Type.Literal('segment'),
      segmentId: Id,
      on: Type.Union([Type.Literal('entered'), Type.Literal('exited')]),
    },
    { additionalProperties: false },
  ),
  /** A one-off broadcast to everyone in a segment at an instant. */
  Type.Object(
    { kind: Type.Literal('broadcast'), segmentId: Id, at: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
  /** A recurring broadcast at a time of day in the given zone, every day or on some weekdays (1 = Monday). */
  Type.Object(
    {
      kind: Type.Literal('schedule'),
      segmentId: Id,
      at: TimeOfDaySchema,
      weekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1 })),
      timeZone: Type.String({ minLength: 1 }),
    },
    { additionalProperties: false },
  ),
  /** A date trait shifted by an offset (`renewal_date` minus 30 days), at a time of day in the person's zone. */
  Type.Object(
    {
      kind: Type.Literal('dateTrait'),
      trait: Type.String({ minLength: 1 }),
      offsetDays: Type.Integer({ minimum: -3660, maximum: 3660 }),
      at: Type.Optional(TimeOfDaySchema),
    },
    { additionalProperties: false },
  ),
]);
export type EntryTrigger = Static<typeof EntryTriggerSchema>;

export const ReentrySchema = Type.Union([
  Type.Object({ mode: Type.Literal('once') }, { additionalProperties: false }),
  Type.Object({ mode: Type.Literal('always') }, { additionalProperties: false }),
  Type.Object(
    { mode: Type.Literal('afterCooldown'), cooldown: DurationSchema },
    { additionalProperties: false },
  ),
]);
export type ReentryRule = Static<typeof ReentrySchema>;

/** An address a send step gives itself: the generic webhook channel's receiver. */
export const SendAddressSchema = Type.Object(
  { url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048 }) },
  { additionalProperties: false },
);
export type SendAddress = Static<typeof SendAddressSchema>;

export const TemplateSchema = Type.Object(
  {
    subject: Type.Optional(
      Type.String({ description: 'Email subject; also the title a webhook receiver gets' }),
    ),
    body: Type.String({ minLength: 1, description: 'The text: the SMS, the push, the email text part' }),
    html: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Email HTML (or an MJML document, `<mjml>…`, compiled to responsive HTML); links are tracked',
      }),
    ),
    url: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'Push: where a tap opens (a deep link)' }),
    ),
  },
  { additionalProperties: false },
);
export type MessageTemplate = Static<typeof TemplateSchema>;

const common = { id: Id, label: Type.Optional(Type.String()) };

export const WaitStepSchema = Type.Object(
  { ...common, type: Type.Literal('wait'), duration: DurationSchema, next: StepRef },
  { additionalProperties: false },
);
export const WaitUntilStepSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('waitUntil'),
    /** Next occurrence of this wall-clock time in the person's time zone. */
    at: TimeOfDaySchema,
    /** Only on these ISO weekdays (1 = Monday … 7 = Sunday); every day when absent. */
    weekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1 })),
    next: StepRef,
  },
  { additionalProperties: false },
);
export const WaitForEventStepSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('waitForEvent'),
    event: Type.String({ minLength: 1 }),
    where: Type.Optional(Type.Array(PropertyFilterSchema)),
    timeout: DurationSchema,
    next: StepRef,
    onTimeout: StepRef,
  },
  { additionalProperties: false },
);
export const BranchStepSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('branch'),
    /** Checked in order; the first whose rule holds for the person wins. Rules are segment rule JSON. */
    cases: Type.Array(Type.Object({ rule: Type.Unknown(), next: StepRef }, { additionalProperties: false }), {
      minItems: 1,
    }),
    otherwise: StepRef,
  },
  { additionalProperties: false },
);
export const SplitStepSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('split'),
    arms: Type.Array(
      Type.Object(
        { name: Id, percent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }), next: StepRef },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    /** People held out of the treatment; their path may wait but never send or create tasks. */
    holdout: Type.Optional(
      Type.Object(
        { percent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }), next: StepRef },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export const SendStepSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('send'),
    /** A channel, or `best`: the best consented channel among `channels` at send time. */
    channel: Type.Union([ChannelSchema, Type.Literal('best')]),
    channels: Type.Optional(Type.Array(ChannelSchema, { minItems: 1 })),
    /**
     * The message written in the step. With `templateId` it is the copy of the library template the
     * server made when this journey version was saved (replaced at every save).
     */
    template: Type.Optional(TemplateSchema),
    /** A template from the library (docs/templates.md); its content is copied in at save. */
    templateId: Type.Optional(Id),
    /** Pins a version of `templateId`; without it each save of the journey takes the latest. */
    templateVersion: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Written by the server: the library template and version `template` was copied from. */
    templateCopiedFrom: Type.Optional(
      Type.Object({ id: Id, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    ),
    /** Where a `webhook` send goes (providers behind a webhook, `sms` and `push`, have their own URL). */
    to: Type.Optional(SendAddressSchema),
    offerId: Type.Optional(Id),
    /** The consent purpose this message needs (`marketing`, `marketing_sms`, `service` …). */
    purpose: Type.String({ minLength: 1 }),
    /** Transactional messages skip quiet hours and fatigue caps; unknown consent counts as yes for them. */
    kind: Type.Optional(Type.Union([Type.Literal('marketing'), Type.Literal('transactional')])),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    expectedValue: Type.Optional(Type.Number({ minimum: 0 })),
    /** What happens when fatigue caps bind and this message loses: wait for room, or give up. */
    onCapped: Type.Optional(Type.Union([Type.Literal('defer'), Type.Literal('drop')])),
    next: StepRef,
  },
  { additionalProperties: false },
);
export const SetTraitStepSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('setTrait'),
    trait: Type.String({ minLength: 1 }),
    value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
    next: StepRef,
  },
  { additionalProperties: false },
);
export const CreateTaskStepSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('createTask'),
    /** The team that picks it up: `call-centre`, `sales` … */
    queue: Id,
    title: Type.String({ minLength: 1 }),
    note: Type.Optional(Type.String()),
    dueIn: Type.Optional(DurationSchema),
    next: StepRef,
  },
  { additionalProperties: false },
);
export const ExitStepSchema = Type.Object(
  { ...common, type: Type.Literal('exit') },
  { additionalProperties: false },
);

export const StepSchema = Type.Union([
  WaitStepSchema,
  WaitUntilStepSchema,
  WaitForEventStepSchema,
  BranchStepSchema,
  SplitStepSchema,
  SendStepSchema,
  SetTraitStepSchema,
  CreateTaskStepSchema,
  ExitStepSchema,
]);
export type Step = Static<typeof StepSchema>;
export type StepType = Step['type'];
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;

export const JourneyDefinitionSchema = Type.Object(
  {
    format: Type.Literal(JOURNEY_FORMAT_VERSION),
    id: Id,
    /** The revision of this journey; instances keep the revision they entered under. */
    version: Type.Integer({ minimum: 1 }),
    name: Type.String({ minLength: 1 }),
    entry: EntryTriggerSchema,
    reentry: ReentrySchema,
    /** A goal event ends the journey as converted, at whatever step the person is. */
    goal: Type.Optional(EventMatchSchema),
    /** The zone used when a person's time zone is unknown. */
    defaultTimeZone: Type.String({ minLength: 1 }),
    start: StepRef,
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: 500 }),
  },
  { additionalProperties: false },
);
export type JourneyDefinition = Static<typeof JourneyDefinitionSchema>;

/** The steps that hold a person until time passes or an event comes: the only places a cycle may pass. */
export const WAIT_STEP_TYPES: ReadonlySet<StepType> = new Set(['wait', 'waitUntil', 'waitForEvent']);

/** Every outgoing edge of a step, with the field it comes from (for error messages). */
export function edgesOf(step: Step): Array<{ field: string; to: string }> {
  switch (step.type) {
    case 'exit':
      return [];
    case 'branch':
      return [
        ...step.cases.map((c, i) => ({ field: `cases/${i}/next`, to: c.next })),
        { field: 'otherwise', to: step.otherwise },
      ];
    case 'split': {
      const arms = step.arms.map((arm, i) => ({ field: `arms/${i}/next`, to: arm.next }));
      return step.holdout ? [...arms, { field: 'holdout/next', to: step.holdout.next }] : arms;
    }
    case 'waitForEvent':
      return [
        { field: 'next', to: step.next },
        { field: 'onTimeout', to: step.onTimeout },
      ];
    default:
      return [{ field: 'next', to: step.next }];
  }
}

export function durationMs(duration: Duration): number {
  const unit = { minutes: 60_000, hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 }[duration.unit];
  return duration.amount * unit;
}
