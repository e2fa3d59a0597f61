// The doors the API and the CLI use: journeys (save with validation, list, pause, resume,
// delete, stats), the arbitration log, the outbox and API sends. Route handlers call these;
// none of them touches a store directly.
import { randomUUID } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import { RapportError } from '../../errors/index.ts';
import { mergedIdsOf, survivorOf } from '../../profiles/view.ts';
import { checkRuleJson } from '../../segments/index.ts';
import type {
  DecisionQuery,
  JourneyStats,
  JourneyVersionRow,
  OutboxQuery,
  OutboxRow,
  StoredDecision,
  StoredJourney,
} from '../../store/index.ts';
import type { CreateTaskAction, SendAction } from '../journey/actions.ts';
import { missingForChannel } from '../journey/channel-needs.ts';
import {
  CHANNELS,
  ChannelSchema,
  type JourneyDefinition,
  SendAddressSchema,
  TemplateSchema,
} from '../journey/definition.ts';
import { type LibraryVersion, type TemplateLookup, templateReferences } from '../journey/library.ts';
import {
  checkHtmlTemplate,
  checkTemplate,
  type RenderedContent,
  renderContent,
} from '../journey/templates.ts';
import { type JourneyIssue, validateJourney } from '../journey/validate.ts';
import type { TemplateTestSendAnswer } from '../schema.ts';
import type { OutboxPayload } from './outbox.ts';
import { loadPerson } from './person.ts';
import type { ConductorState } from './state.ts';

/** A lead to hand to sales: the value refresh's lead action, without importing the value module. */
export interface SalesLead {
  profileId: string;
  threshold: string;
  score: number;
  previousScore: number | null;
}

/** POST /api/messages: one schema for the route's validation, its OpenAPI entry and this type. */
export const ApiSendSchema = Type.Object(
  {
    profileId: Type.Optional(Type.String({ minLength: 1 })),
    userId: Type.Optional(Type.String({ minLength: 1 })),
    channel: ChannelSchema,
    template: TemplateSchema,
    /** A `webhook` send's receiver. */
    to: Type.Optional(SendAddressSchema),
    purpose: Type.Optional(Type.String({ minLength: 1 })),
    kind: Type.Optional(Type.Union([Type.Literal('marketing'), Type.Literal('transactional')])),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    expectedValue: Type.Optional(Type.Number({ minimum: 0 })),
    onCapped: Type.Optional(Type.Union([Type.Literal('defer'), Type.Literal('drop')])),
    variables: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** The caller's key: the same key twice is one message. */
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ApiSend = Static<typeof ApiSendSchema>;

/** POST /api/templates/preview: a message template and the sample values to fill it with. */
export const TemplatePreviewSchema = Type.Object(
  {
    template: TemplateSchema,
    /** Sample traits (a first name …); absent ones render as their `default` or empty. */
    traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Sample offer content (`{{ offer.url }}` …). */
    offer: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** A real person: their own traits fill the template (sample traits are then ignored). */
    profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type TemplatePreview = Static<typeof TemplatePreviewSchema>;

/** What configures each channel a template may test-send on (docs/configuration.md). */
const CHANNEL_SETTING = {
  email: 'set RAPPORT_SMTP_URL to have one',
  sms: 'set RAPPORT_SMS_WEBHOOK_URL to the SMS provider',
  push: 'set RAPPORT_PUSH_WEBHOOK_URL to the push provider',
} as const;

/** Where test sends are filed in the arbitration log (the same as the Settings page's channel test). */
const TEST_SEND_PROFILE = 'test-send';

/** POST /api/templates/test-send: a template sent once to the address typed, through the email channel. */
export const TemplateTestSendSchema = Type.Object(
  {
    template: TemplateSchema,
    to: Type.String({
      // One address, no spaces or list: the relay decides the rest.
      pattern: '^[^\\s@,;<>]+@[^\\s@,;<>]+\\.[^\\s@,;<>]+$',
      maxLength: 320,
      description: 'the email address the test goes to',
    }),
    /** Whose values fill the template (none: the sample traits, or empty). */
    profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type TemplateTestSend = Static<typeof TemplateTestSendSchema>;

/** What a template test send did (the route's answer, src/conductor/schema.ts). */
export type TemplateTestSendResult = TemplateTestSendAnswer;

const PREVIEW_ROOTS = {
  traits: 'any',
  person: ['id', 'timeZone'],
  journey: ['id', 'name', 'version'],
  event: 'any',
  offer: 'any',
  // The person's next best products, as a send reads them (templateVariables in outbox.ts).
  recommendations: 'any',
} as const;

/**
 * Renders a template as a send would (the same renderContent: Liquid with values as data, MJML
 * compiled), for the dashboard's preview. 400 naming the field when it would be refused at save.
 */
export function previewTemplate(input: TemplatePreview): RenderedContent {
  checkPreviewable(input.template);
  return renderContent(input.template, {
    traits: input.traits ?? {},
    person: { id: 'preview', timeZone: 'UTC' },
    journey: {},
    event: {},
    offer: input.offer ?? {},
    recommendations: Array.isArray(input.traits?.recommendations) ? input.traits.recommendations : [],
  });
}

/** 400 naming the field when a template would be refused at save. */
function checkPreviewable(template: TemplatePreview['template']): void {
  for (const field of ['subject', 'body', 'html', 'url'] as const) {
    const source = template[field];
    if (source === undefined) continue;
    const issues = [
      ...checkTemplate(source, { roots: PREVIEW_ROOTS }),
      ...(field === 'html' ? checkHtmlTemplate(source) : []),
    ];
    if (issues.length > 0)
      throw new RapportError('RAPPORT_API_BAD_REQUEST', issues.map((i) => i.message).join('; '), {
        field: `template.${field}`,
      });
  }
}

/** One trip of a person through a journey, as the 360 shows it. */
export interface ProfileJourney {
  instanceId: string;
  journeyId: string;
  /** The journey's name in the version the person entered under. */
  name: string;
  version: number;
  /** active: running or waiting; completed: reached an exit or the goal; exited: taken out (journey deleted, aborted). */
  status: 'active' | 'completed' | 'exited';
  /** completed, converted (the goal), aborted; null while active. */
  exitReason: string | null;
  /** The step the person is at, or the step they left from. */
  currentStep: string;
  enteredAt: string;
  exitedAt: string | null;
}

export function journeyStatusOf(trip: {
  active: boolean;
  exitReason: string | null;
}): ProfileJourney['status'] {
  if (trip.active) return 'active';
  return trip.exitReason === 'completed' || trip.exitReason === 'converted' ? 'completed' : 'exited';
}

/** The template library as journeys read it (wired by the composition root). */
export interface JourneyTemplateLibrary {
  /** The versions named (the latest where no version is given); unknown ones are left out. */
  find(references: ReadonlyArray<{ id: string; version: number | undefined }>): Promise<LibraryVersion[]>;
}

/** Where each library template is used: the journeys (not deleted) whose current version names it. */
export interface TemplateUse {
  templateId: string;
  journeyId: string;
  journeyName: string;
  journeyVersion: number;
  status: string;
  stepId: string;
  /** The version the step pins, or null: it takes the latest at each save. */
  pinnedVersion: number | null;
  /** The version copied into the journey when it was saved. */
  copiedVersion: number | null;
}

export class JourneyService {
  private library: JourneyTemplateLibrary | undefined;

  constructor(
    private readonly conductor: ConductorState,
    /** Called after a change that the runner should see at once. */
    private readonly onChange: () => void = () => {},
  ) {}

  /** Send steps may name library templates once this is set (docs/templates.md). */
  attachTemplateLibrary(library: JourneyTemplateLibrary): void {
    this.library = library;
  }

  /** The journeys (not deleted) whose current version sends under this consent purpose. */
  async purposeUses(purpose: string): Promise<string[]> {
    const journeys = await this.conductor.store.listJourneys();
    return journeys
      .filter((journey) => journey.status !== 'deleted')
      .filter((journey) =>
        (journey.definition as JourneyDefinition).steps.some(
          (step) => step.type === 'send' && step.purpose.toLowerCase() === purpose.toLowerCase(),
        ),
      )
      .map((journey) => `journey ${(journey.definition as JourneyDefinition).name ?? journey.journeyId}`);
  }

  /** Every send step, in every journey not deleted, that names a library template. */
  async templateUses(): Promise<TemplateUse[]> {
    const journeys = await this.conductor.store.listJourneys();
    return journeys
      .filter((journey) => journey.status !== 'deleted')
      .flatMap((journey) => {
        const definition = journey.definition as JourneyDefinition;
        return definition.steps.flatMap((step) =>
          step.type === 'send' && step.templateId !== undefined
            ? [
                {
                  templateId: step.templateId,
                  journeyId: journey.journeyId,
                  journeyName: definition.name ?? journey.journeyId,
                  journeyVersion: journey.version,
                  status: journey.status,
                  stepId: step.id,
                  pinnedVersion: step.templateVersion ?? null,
                  copiedVersion: step.templateCopiedFrom?.version ?? null,
                },
              ]
            : [],
        );
      });
  }

  /**
   * A template rendered as a send renders it for this person (the outbox's renderContent, their
   * own traits, id and time zone); without a profileId, with the sample traits. 404 for no such person.
   */
  async previewFor(input: TemplatePreview): Promise<RenderedContent> {
    if (input.profileId === undefined) return previewTemplate(input);
    checkPreviewable(input.template);
    const person = await loadPerson(this.conductor.state, input.profileId);
    if (!person.exists)
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no person ${input.profileId}`, { field: 'profileId' });
    return renderContent(input.template, {
      traits: person.traits,
      person: { id: person.profileId, timeZone: person.timeZone ?? 'UTC' },
      journey: {},
      event: {},
      offer: input.offer ?? {},
      recommendations: Array.isArray(person.traits.recommendations) ? person.traits.recommendations : [],
    });
  }

  /**
   * Renders the template (for the person, or with the sample traits) and sends it once through the
   * configured email channel to the address typed: no journey, arbitration or consent, since it goes
   * to the marketer, not to the person. 409 when no email channel is configured.
   */
  async testSend(input: TemplateTestSend): Promise<TemplateTestSendResult> {
    return this.testSendOn('email', {
      template: input.template,
      to: { email: input.to },
      label: input.to,
      ...(input.profileId !== undefined ? { profileId: input.profileId } : {}),
      ...(input.traits !== undefined ? { traits: input.traits } : {}),
    });
  }

  /**
   * A test send on any configured channel (email to an address, SMS to a number, push to a user
   * id, through the provider webhook): rendered for the person or the sample traits, sent once,
   * logged. 409 naming the channel when it is not configured.
   */
  async testSendOn(
    channelName: 'email' | 'sms' | 'push',
    input: {
      template: TemplatePreview['template'];
      to: Record<string, unknown>;
      label: string;
      profileId?: string;
      traits?: Record<string, unknown>;
    },
  ): Promise<TemplateTestSendResult> {
    const channel = this.conductor.channels.get(channelName);
    if (!channel)
      throw new RapportError(
        'RAPPORT_API_CONFLICT',
        `no ${channelName} channel is configured (${CHANNEL_SETTING[channelName]}), so a test cannot be sent`,
        { field: 'channel' },
      );
    const content = await this.previewFor({
      template: input.template,
      ...(input.profileId !== undefined ? { profileId: input.profileId } : {}),
      ...(input.traits !== undefined ? { traits: input.traits } : {}),
    });
    const idempotencyKey = `template-test:${randomUUID()}`;
    const result = await channel.deliver({
      idempotencyKey,
      profileId: TEST_SEND_PROFILE,
      channel: channelName,
      templateId: 'template-test-send',
      content,
      to: input.to,
    });
    // Logged as the Settings page's channel test is, so every message that left is on record.
    const outcome = result.status === 'sent' ? 'accepted' : `${result.status}: ${result.error ?? ''}`;
    await this.conductor.store.logDecisions([
      {
        at: this.conductor.now(),
        profileId: TEST_SEND_PROFILE,
        journeyId: null,
        stepId: null,
        idempotencyKey,
        channel: channelName,
        action: result.status === 'sent' ? 'send' : 'fail',
        code: 'test_send',
        reason: `template test send to ${input.label}: ${outcome}`,
        until: null,
      },
    ]);
    return {
      idempotencyKey,
      to: input.label,
      accepted: result.status === 'sent',
      status: result.status,
      error: result.error ?? null,
      subject: content.subject ?? null,
    };
  }

  /** What save would say of a document, without saving it: the builder's inline validation. */
  async check(input: unknown): Promise<{ ok: boolean; issues: JourneyIssue[] }> {
    const validation = await this.validate(input);
    return validation.ok ? { ok: true, issues: [] } : { ok: false, issues: validation.issues };
  }

  /** The library templates a document names, looked up once so validation stays synchronous. */
  private async templateLookup(input: unknown): Promise<TemplateLookup | undefined> {
    const references = templateReferences(input);
    if (!this.library || references.length === 0) return undefined;
    const found = await this.library.find(references);
    const latest = new Map<string, LibraryVersion>();
    for (const version of found) {
      const known = latest.get(version.id);
      if (!known || known.version < version.version) latest.set(version.id, version);
    }
    return (id, version) =>
      version === undefined ? latest.get(id) : found.find((v) => v.id === id && v.version === version);
  }

  private async validate(input: unknown) {
    const templates = await this.templateLookup(input);
    return validateJourney(input, {
      ...(templates ? { templates } : {}),
      validateRule: (rule) => {
        const result = checkRuleJson(rule);
        return result.ok ? [] : result.issues.map((issue) => `${issue.path || '/'}: ${issue.message}`);
      },
    });
  }

  /** Every saved version, newest first. */
  async versions(journeyId: string): Promise<JourneyVersionRow[]> {
    await this.get(journeyId);
    return this.conductor.store.listJourneyVersions(journeyId);
  }

  /** One saved version's document. */
  async version(journeyId: string, version: number): Promise<{ version: number; definition: object }> {
    await this.get(journeyId);
    const definition = await this.conductor.store.getJourneyVersion(journeyId, version);
    // Saved versions are validated documents (objects); anything else is not a version.
    if (typeof definition !== 'object' || definition === null)
      throw new RapportError('RAPPORT_API_NOT_FOUND', `journey ${journeyId} has no version ${version}`);
    return { version, definition };
  }

  /** Validates and saves a version; 400 with the issues, 409 when the version is taken by other content. */
  async save(input: unknown, expectedId?: string): Promise<StoredJourney> {
    const validation = await this.validate(input);
    if (!validation.ok) {
      throw new RapportError(
        'RAPPORT_JOURNEY_INVALID',
        `the journey has ${validation.issues.length} problem(s)`,
        {
          issues: validation.issues,
        },
      );
    }
    const definition = validation.definition;
    if (expectedId !== undefined && definition.id !== expectedId)
      throw new RapportError(
        'RAPPORT_API_BAD_REQUEST',
        `the document's id is ${definition.id}, not ${expectedId}`,
        {
          field: '/id',
        },
      );
    const current = await this.conductor.store.getJourney(definition.id);
    if (current && current.status !== 'deleted') {
      const same = JSON.stringify(current.definition) === JSON.stringify(definition);
      if (definition.version === current.version && same) return current;
      if (definition.version <= current.version)
        throw new RapportError(
          'RAPPORT_JOURNEY_CONFLICT',
          `version ${definition.version} of ${definition.id} is taken (current ${current.version}); publish a changed journey as version ${current.version + 1}`,
          { field: '/version' },
        );
    }
    const saved = await this.conductor.store.saveJourney(
      definition.id,
      definition.version,
      definition,
      this.conductor.now(),
    );
    this.conductor.catalog.invalidate();
    this.onChange();
    return saved;
  }

  list(): Promise<StoredJourney[]> {
    return this.conductor.store.listJourneys();
  }

  async get(journeyId: string): Promise<StoredJourney> {
    const journey = await this.conductor.store.getJourney(journeyId);
    if (!journey || journey.status === 'deleted')
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no journey ${journeyId}`);
    return journey;
  }

  /** paused: no entries and timers hold; active: both resume (timers due meanwhile fire); deleted: hidden, no entries. */
  async setStatus(
    journeyId: string,
    status: 'active' | 'paused' | 'deleted',
  ): Promise<StoredJourney | undefined> {
    const changed = await this.conductor.store.setJourneyStatus(journeyId, status, this.conductor.now());
    if (!changed) throw new RapportError('RAPPORT_API_NOT_FOUND', `no journey ${journeyId}`);
    this.conductor.catalog.invalidate();
    this.onChange();
    return status === 'deleted' ? undefined : this.get(journeyId);
  }

  async stats(journeyId: string): Promise<JourneyStats & { journeyId: string; version: number }> {
    return this.statsOf(await this.get(journeyId));
  }

  /** Every journey's stats in one answer, counted by the store (the dashboard's journey lists). */
  async allStats(): Promise<Array<JourneyStats & { journeyId: string; version: number }>> {
    return Promise.all((await this.list()).map((journey) => this.statsOf(journey)));
  }

  private async statsOf(
    journey: StoredJourney,
  ): Promise<JourneyStats & { journeyId: string; version: number }> {
    const { journeyId, version } = journey;
    return { journeyId, version, ...(await this.conductor.store.journeyStats(journeyId)) };
  }

  decisions(query: DecisionQuery): Promise<StoredDecision[]> {
    return this.conductor.store.listDecisions(query);
  }

  outbox(query: OutboxQuery): Promise<OutboxRow[]> {
    return this.conductor.store.listOutbox(query);
  }

  instancesOf(profileId: string) {
    return this.conductor.store.instancesOf(profileId);
  }

  /**
   * The journeys a person is in or has been in, latest entered first: trips of the live
   * profile and of every profile merged into it. A merged-away id answers for the survivor.
   */
  async profileJourneys(
    profileId: string,
    limit: number,
  ): Promise<{ profileId: string; items: ProfileJourney[] }> {
    const profile = await survivorOf(this.conductor.state, profileId);
    if (!profile) throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${profileId}`);
    const ids = [profile.profileId, ...(await mergedIdsOf(this.conductor.state, profile.profileId))];
    const trips = await this.conductor.store.instancesOfProfiles(ids, limit);
    const names = new Map<string, string>();
    for (const trip of trips) {
      const key = `${trip.journeyId}@${trip.journeyVersion}`;
      if (names.has(key)) continue;
      const definition = (await this.conductor.store.getJourneyVersion(
        trip.journeyId,
        trip.journeyVersion,
      )) as { name?: unknown } | undefined;
      names.set(key, typeof definition?.name === 'string' ? definition.name : trip.journeyId);
    }
    return {
      profileId: profile.profileId,
      items: trips.map((trip) => ({
        instanceId: trip.instanceId,
        journeyId: trip.journeyId,
        name: names.get(`${trip.journeyId}@${trip.journeyVersion}`) ?? trip.journeyId,
        version: trip.journeyVersion,
        status: journeyStatusOf(trip),
        exitReason: trip.exitReason,
        currentStep: trip.stepId,
        enteredAt: trip.enteredAt,
        exitedAt: trip.exitedAt,
      })),
    };
  }

  /** An API send: queued in the outbox, arbitrated and delivered like any journey send. */
  async send(input: ApiSend): Promise<{ idempotencyKey: string; profileId: string; queued: boolean }> {
    const profileId = await this.resolveProfile(input);
    if (!CHANNELS.includes(input.channel))
      throw new RapportError('RAPPORT_API_BAD_REQUEST', `unknown channel ${input.channel}`, {
        field: 'channel',
      });
    const [need] = missingForChannel(input.channel, input);
    if (need)
      throw new RapportError('RAPPORT_API_BAD_REQUEST', need.message, {
        field: need.field.replace('/', '.'),
      });
    const roots = { traits: 'any', person: ['id', 'timeZone'], variables: 'any' } as const;
    for (const field of ['subject', 'body', 'html', 'url'] as const) {
      const source = input.template[field];
      const issues =
        source === undefined
          ? []
          : [...checkTemplate(source, { roots }), ...(field === 'html' ? checkHtmlTemplate(source) : [])];
      if (issues.length > 0)
        throw new RapportError('RAPPORT_API_BAD_REQUEST', issues.map((i) => i.message).join('; '), {
          field: `template.${field}`,
        });
    }
    const idempotencyKey = `api:${input.idempotencyKey ?? randomUUID()}`;
    const action: SendAction = {
      type: 'send',
      idempotencyKey,
      profileId,
      journeyId: '',
      instanceId: '',
      stepId: '',
      channel: input.channel,
      channels: [input.channel],
      template: input.template,
      ...(input.to ? { to: input.to } : {}),
      offerId: undefined,
      purpose: input.purpose ?? input.channel,
      kind: input.kind ?? 'marketing',
      priority: input.priority ?? 100,
      expectedValue: input.expectedValue ?? 0,
      onCapped: input.onCapped ?? 'defer',
    };
    const payload: OutboxPayload = { action, variables: { variables: input.variables ?? {} } };
    const now = this.conductor.now();
    const added = await this.conductor.store.enqueue([
      {
        idempotencyKey,
        profileId,
        journeyId: null,
        instanceId: null,
        stepId: null,
        origin: 'api',
        kind: 'message',
        payload,
        createdAt: now,
        nextAttemptAt: now,
      },
    ]);
    this.onChange();
    return { idempotencyKey, profileId, queued: added > 0 };
  }

  /**
   * Sales tasks for leads whose score crossed a threshold (the value refresh's `leadActions`),
   * queued on the `sales` task queue like a journey's createTask. One task per person,
   * threshold and UTC day: a second refresh the same day (or one after a restart, which
   * forgets the previous scores) does not queue it twice.
   */
  async createSalesTasks(leads: readonly SalesLead[]): Promise<number> {
    if (leads.length === 0) return 0;
    const now = this.conductor.now();
    const day = now.slice(0, 10);
    const entries = leads.map((lead) => {
      const idempotencyKey = `lead:${lead.profileId}:${lead.threshold}:${day}`;
      const was = lead.previousScore === null ? 'first scored' : `was ${Math.round(lead.previousScore)}`;
      const action: CreateTaskAction = {
        type: 'createTask',
        idempotencyKey,
        profileId: lead.profileId,
        journeyId: '',
        stepId: '',
        queue: 'sales',
        // The task channel renders the title as Liquid: the threshold's name is configuration,
        // so braces are taken out of it rather than trusted.
        title: `Lead ${lead.threshold.replace(/[{}%]/g, '')}: score ${Math.round(lead.score)} (${was})`,
        note: 'The lead score crossed this threshold at the last value refresh; the profile shows how it is made up.',
        dueAt: undefined,
      };
      return {
        idempotencyKey,
        profileId: lead.profileId,
        journeyId: null,
        instanceId: null,
        stepId: null,
        origin: 'value',
        kind: 'task' as const,
        payload: { action } satisfies OutboxPayload,
        createdAt: now,
        nextAttemptAt: now,
      };
    });
    const added = await this.conductor.store.enqueue(entries);
    this.onChange();
    return added;
  }

  private async resolveProfile(input: ApiSend): Promise<string> {
    if (input.profileId) return input.profileId;
    if (input.userId) {
      const [identity] = await this.conductor.state.findIdentities([
        { kind: 'user_id', value: input.userId },
      ]);
      if (identity) return identity.profileId;
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile with userId ${input.userId}`, {
        field: 'userId',
      });
    }
    throw new RapportError('RAPPORT_API_BAD_REQUEST', 'name the person: profileId or userId', {
      field: 'profileId',
    });
  }
}
