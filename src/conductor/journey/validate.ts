// What a journey must mean before it is saved. The schema checks the shape; this checks the
// graph (every reference resolves, every step is reachable, every step can reach an exit, no
// cycle without a wait on it), the numbers (split percentages add up to 100) and the templates
// (they parse and read only variables that will be there). Every issue names the step and field.
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { IANAZone } from 'luxon';
import { missingForChannel, possibleChannels } from './channel-needs.ts';
import {
  EntryTriggerSchema,
  edgesOf,
  type JourneyDefinition,
  JourneyDefinitionSchema,
  type Step,
  type StepOf,
  StepSchema,
  WAIT_STEP_TYPES,
} from './definition.ts';
import { type TemplateLookup, withLibraryContent } from './library.ts';
import { checkHtmlTemplate, checkTemplate, type TemplateVariables } from './templates.ts';

export type JourneyIssueCode =
  | 'invalid_shape'
  | 'duplicate_step'
  | 'unknown_step'
  | 'unreachable_step'
  | 'cycle_without_wait'
  | 'no_exit'
  | 'split_not_100'
  | 'holdout_sends'
  | 'invalid_template'
  | 'unknown_template'
  | 'invalid_rule'
  | 'unknown_offer'
  | 'invalid_time_zone'
  | 'invalid_date'
  | 'best_channel_without_channels'
  | 'channel_cannot_send';

export interface JourneyIssue {
  code: JourneyIssueCode;
  /** The step the issue is on; absent for journey-level fields. */
  stepId?: string;
  /** A JSON pointer into the document (`/steps/3/template/body`). */
  field: string;
  message: string;
}

/** What the rest of the system knows, to check references. Any part left out is not checked. */
export interface JourneyValidationContext {
  /** Known trait names: templates reading another `traits.x` are refused. */
  traits?: readonly string[];
  /** Known offer ids. */
  offerExists?: (offerId: string) => boolean;
  /** The segment rule validator (from segments), returning one message per problem. */
  validateRule?: (rule: unknown) => string[];
  /** The template library: a send naming a template gets its content copied in (library.ts). */
  templates?: TemplateLookup;
}

export type JourneyValidation =
  | { ok: true; definition: JourneyDefinition }
  | { ok: false; issues: JourneyIssue[] };

/**
 * A definition file says what it is (`"kind": "journey"`, for `rapport apply`); the API takes
 * the same file, so the marker is recognised and left out of the stored document. Any other
 * `kind` stays, and the shape check refuses it.
 */
export function withoutKindMarker(input: unknown, kind: string): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const { kind: marker, ...rest } = input as Record<string, unknown>;
  return marker === kind ? rest : input;
}

export function validateJourney(raw: unknown, context: JourneyValidationContext = {}): JourneyValidation {
  const input = withoutKindMarker(raw, 'journey');
  if (!Value.Check(JourneyDefinitionSchema, input)) return { ok: false, issues: shapeIssues(input) };
  const library = withLibraryContent(input, context.templates, (step) =>
    possibleChannels(step.channel, step.channels),
  );
  const definition = library.definition;
  const issues = [
    ...library.issues.map((issue) => ({ code: 'unknown_template' as const, ...issue })),
    ...checkJourneyFields(definition),
    ...checkGraph(definition),
    ...definition.steps.flatMap((step, index) => checkStep(definition, step, index, context)),
  ];
  return issues.length === 0 ? { ok: true, definition } : { ok: false, issues };
}

function shapeIssues(input: unknown): JourneyIssue[] {
  const steps = (input as { steps?: Array<{ id?: unknown }> } | null)?.steps;
  const seen = new Set<string>();
  const issues: JourneyIssue[] = [];
  for (const error of preciseErrors(input)) {
    const { path, value } = error;
    const stepIndex = /^\/steps\/(\d+)/.exec(path)?.[1];
    const stepId = stepIndex === undefined ? undefined : steps?.[Number(stepIndex)]?.id;
    const plain = typeof stepId === 'string' ? plainShapeIssue(stepId, path, value) : undefined;
    const message = plain?.message ?? error.message;
    const key = `${path}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({
      code: plain?.code ?? 'invalid_shape',
      ...(typeof stepId === 'string' ? { stepId } : {}),
      field: path || '/',
      message,
    });
  }
  return issues;
}

const EDGE_FIELD =
  /^\/steps\/\d+\/(next|otherwise|onTimeout|cases\/\d+\/next|arms\/\d+\/next|holdout\/next)$/;

/**
 * The shape errors a builder makes while a journey is half drawn, said as a marketer reads
 * them: an edge left unconnected (an empty reference) and a message with no text.
 */
function plainShapeIssue(
  stepId: string,
  path: string,
  value: unknown,
): { code: JourneyIssueCode; message: string } | undefined {
  const field = EDGE_FIELD.exec(path)?.[1];
  if (field && value === '')
    return { code: 'unknown_step', message: `step ${stepId} is not connected: its ${field} goes to no step` };
  if (/^\/steps\/\d+\/templateId$/.test(path) && value === '')
    return {
      code: 'unknown_template',
      message: `step ${stepId} names no template: choose one from the library`,
    };
  if (/^\/steps\/\d+\/template$/.test(path) && value === undefined)
    return { code: 'invalid_template', message: `step ${stepId} sends nothing: it has no message` };
  if (/^\/steps\/\d+\/template\/body$/.test(path) && (value === '' || value === undefined))
    return { code: 'invalid_template', message: `step ${stepId} sends nothing: its message text is empty` };
  return undefined;
}

const STEP_SCHEMAS = new Map<unknown, TSchema>(
  StepSchema.anyOf.map((schema) => [schema.properties.type.const, schema]),
);
const ENTRY_SCHEMAS = new Map<unknown, TSchema>(
  EntryTriggerSchema.anyOf.map((schema) => [schema.properties.kind.const, schema]),
);

/**
 * TypeBox reports a bad step as "expected union value" at the step; when the step names a
 * known type (or the trigger a known kind), check it against that one variant instead so the
 * error points at the field (`/steps/0/duration/amount`).
 */
function preciseErrors(input: unknown): Array<{ path: string; message: string; value: unknown }> {
  const errors: Array<{ path: string; message: string; value: unknown }> = [];
  for (const error of Value.Errors(JourneyDefinitionSchema, input)) {
    const variant = variantFor(error.path, error.value);
    if (!variant) {
      errors.push({ path: error.path, message: error.message, value: error.value });
      continue;
    }
    for (const inner of Value.Errors(variant, error.value)) {
      errors.push({ path: `${error.path}${inner.path}`, message: inner.message, value: inner.value });
    }
  }
  return errors;
}

function variantFor(path: string, value: unknown): TSchema | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (/^\/steps\/\d+$/.test(path)) return STEP_SCHEMAS.get(record.type);
  if (path === '/entry') return ENTRY_SCHEMAS.get(record.kind);
  return undefined;
}

function checkJourneyFields(definition: JourneyDefinition): JourneyIssue[] {
  const issues: JourneyIssue[] = [];
  if (!IANAZone.isValidZone(definition.defaultTimeZone)) {
    issues.push(zoneIssue('/defaultTimeZone', definition.defaultTimeZone));
  }
  const entry = definition.entry;
  if (entry.kind === 'schedule' && !IANAZone.isValidZone(entry.timeZone)) {
    issues.push(zoneIssue('/entry/timeZone', entry.timeZone));
  }
  if (entry.kind === 'broadcast' && Number.isNaN(Date.parse(entry.at))) {
    issues.push({ code: 'invalid_date', field: '/entry/at', message: `${entry.at} is not an ISO date-time` });
  }
  return issues;
}

function zoneIssue(field: string, zone: string): JourneyIssue {
  return { code: 'invalid_time_zone', field, message: `${zone} is not an IANA time zone` };
}

function stepPointer(index: number, field: string): string {
  return `/steps/${index}/${field}`;
}

function checkGraph(definition: JourneyDefinition): JourneyIssue[] {
  const issues: JourneyIssue[] = [];
  const indexById = new Map<string, number>();
  definition.steps.forEach((step, index) => {
    if (indexById.has(step.id)) {
      issues.push({
        code: 'duplicate_step',
        stepId: step.id,
        field: stepPointer(index, 'id'),
        message: `step id ${step.id} is used twice`,
      });
    } else indexById.set(step.id, index);
  });
  if (!indexById.has(definition.start)) {
    issues.push({
      code: 'unknown_step',
      field: '/start',
      message: `start names no step: ${definition.start}`,
    });
  }
  definition.steps.forEach((step, index) => {
    for (const edge of edgesOf(step)) {
      if (indexById.has(edge.to)) continue;
      issues.push({
        code: 'unknown_step',
        stepId: step.id,
        field: stepPointer(index, edge.field),
        message: `step ${step.id} goes to ${edge.to}, which is not a step`,
      });
    }
  });
  if (issues.length > 0) return issues; // the checks below need a well-formed graph
  const graph = new JourneyGraph(definition);
  issues.push(
    ...unreachableIssues(graph),
    ...cycleIssues(graph),
    ...noExitIssues(graph),
    ...holdoutIssues(graph),
  );
  return issues;
}

/** The steps by id with their successors; built only once references are known to resolve. */
export class JourneyGraph {
  readonly steps = new Map<string, { step: Step; index: number }>();
  constructor(readonly definition: JourneyDefinition) {
    for (const [index, step] of definition.steps.entries()) this.steps.set(step.id, { step, index });
  }
  successors(id: string): string[] {
    const entry = this.steps.get(id);
    return entry ? edgesOf(entry.step).map((edge) => edge.to) : [];
  }
  reachableFrom(start: string): Set<string> {
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (const next of this.successors(id)) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return seen;
  }
}

function unreachableIssues(graph: JourneyGraph): JourneyIssue[] {
  const reachable = graph.reachableFrom(graph.definition.start);
  return [...graph.steps.values()]
    .filter(({ step }) => !reachable.has(step.id))
    .map(({ step, index }) => ({
      code: 'unreachable_step' as const,
      stepId: step.id,
      field: stepPointer(index, 'id'),
      message: `step ${step.id} cannot be reached from the start (${graph.definition.start})`,
    }));
}

/** A cycle through steps none of which waits would run forever in one instant. */
function cycleIssues(graph: JourneyGraph): JourneyIssue[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const issues: JourneyIssue[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const next of graph.successors(id)) {
      if (WAIT_STEP_TYPES.has(graph.steps.get(next)!.step.type)) continue;
      if (state.get(next) === 'open') issues.push(cycleIssue(graph, stack.slice(stack.indexOf(next))));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const { step } of graph.steps.values()) {
    if (!state.has(step.id) && !WAIT_STEP_TYPES.has(step.type)) visit(step.id);
  }
  return issues;
}

function cycleIssue(graph: JourneyGraph, cycle: string[]): JourneyIssue {
  const first = cycle[0]!;
  return {
    code: 'cycle_without_wait',
    stepId: first,
    field: stepPointer(graph.steps.get(first)!.index, 'next'),
    message: `steps ${[...cycle, first].join(' → ')} form a cycle with no wait on it`,
  };
}

function noExitIssues(graph: JourneyGraph): JourneyIssue[] {
  const exits = [...graph.steps.values()].filter(({ step }) => step.type === 'exit');
  if (exits.length === 0) {
    return [{ code: 'no_exit', field: '/steps', message: 'the journey has no exit step' }];
  }
  const canExit = new Set(exits.map(({ step }) => step.id));
  for (let grew = true; grew; ) {
    grew = false;
    for (const { step } of graph.steps.values()) {
      if (canExit.has(step.id) || !graph.successors(step.id).some((next) => canExit.has(next))) continue;
      canExit.add(step.id);
      grew = true;
    }
  }
  return [...graph.steps.values()]
    .filter(({ step }) => !canExit.has(step.id))
    .map(({ step, index }) => ({
      code: 'no_exit' as const,
      stepId: step.id,
      field: stepPointer(index, 'next'),
      message: `from step ${step.id} no path leads to an exit`,
    }));
}

/** A holdout is the comparison group: nothing on its path may reach the person. */
function holdoutIssues(graph: JourneyGraph): JourneyIssue[] {
  const issues: JourneyIssue[] = [];
  for (const { step, index } of graph.steps.values()) {
    if (step.type !== 'split' || !step.holdout) continue;
    for (const id of graph.reachableFrom(step.holdout.next)) {
      const reached = graph.steps.get(id)!.step;
      if (reached.type !== 'send' && reached.type !== 'createTask') continue;
      issues.push({
        code: 'holdout_sends',
        stepId: step.id,
        field: stepPointer(index, 'holdout/next'),
        message: `the holdout of split ${step.id} reaches ${reached.type} step ${reached.id}`,
      });
    }
  }
  return issues;
}

function checkStep(
  definition: JourneyDefinition,
  step: Step,
  index: number,
  context: JourneyValidationContext,
): JourneyIssue[] {
  switch (step.type) {
    case 'split':
      return checkSplit(step, index);
    case 'branch':
      return checkBranch(step, index, context);
    case 'send':
      return checkSend(definition, step, index, context);
    case 'createTask':
      return checkTaskTemplates(definition, step, index, context);
    default:
      return [];
  }
}

function checkSplit(step: StepOf<'split'>, index: number): JourneyIssue[] {
  const total = step.arms.reduce((sum, arm) => sum + arm.percent, 0) + (step.holdout?.percent ?? 0);
  if (Math.abs(total - 100) < 1e-9) return [];
  return [
    {
      code: 'split_not_100',
      stepId: step.id,
      field: stepPointer(index, 'arms'),
      message: `split ${step.id} percentages (arms and holdout) add up to ${total}, not 100`,
    },
  ];
}

function checkBranch(
  step: StepOf<'branch'>,
  index: number,
  context: JourneyValidationContext,
): JourneyIssue[] {
  if (!context.validateRule) return [];
  return step.cases.flatMap((c, i) =>
    context.validateRule!(c.rule).map((message) => ({
      code: 'invalid_rule' as const,
      stepId: step.id,
      field: stepPointer(index, `cases/${i}/rule`),
      message,
    })),
  );
}

function checkSend(
  definition: JourneyDefinition,
  step: StepOf<'send'>,
  index: number,
  context: JourneyValidationContext,
): JourneyIssue[] {
  const issues: JourneyIssue[] = [];
  if (!step.template) {
    // A library reference that did not resolve is reported by withLibraryContent already.
    if (step.templateId !== undefined) return issues;
    return [
      {
        code: 'invalid_template',
        stepId: step.id,
        field: stepPointer(index, 'template'),
        message: `step ${step.id} sends nothing: choose a template from the library or write a message`,
      },
    ];
  }
  const template = step.template;
  if (step.channel === 'best' && !step.channels) {
    issues.push({
      code: 'best_channel_without_channels',
      stepId: step.id,
      field: stepPointer(index, 'channels'),
      message: `step ${step.id} sends via the best channel but lists no channels to choose from`,
    });
  }
  if (step.offerId && context.offerExists && !context.offerExists(step.offerId)) {
    issues.push({
      code: 'unknown_offer',
      stepId: step.id,
      field: stepPointer(index, 'offerId'),
      message: `step ${step.id} uses offer ${step.offerId}, which does not exist`,
    });
  }
  for (const channel of possibleChannels(step.channel, step.channels)) {
    for (const need of missingForChannel(channel, { template, to: step.to })) {
      issues.push({
        code: 'channel_cannot_send',
        stepId: step.id,
        field: stepPointer(index, need.field),
        message: `step ${step.id} may send by ${channel}, and ${need.message}`,
      });
    }
  }
  const variables = templateVariables(definition, context, step.offerId !== undefined);
  const fields: Array<[string, string | undefined]> = [
    ['template/subject', template.subject],
    ['template/body', template.body],
    ['template/html', template.html],
    ['template/url', template.url],
  ];
  const mjml = checkHtmlTemplate(template.html ?? '').map((issue) => ({
    code: 'invalid_template' as const,
    stepId: step.id,
    field: stepPointer(index, 'template/html'),
    message: `step ${step.id} template/html: ${issue.message}`,
  }));
  return [...issues, ...templateIssues(step.id, index, fields, variables), ...mjml];
}

function checkTaskTemplates(
  definition: JourneyDefinition,
  step: StepOf<'createTask'>,
  index: number,
  context: JourneyValidationContext,
): JourneyIssue[] {
  const variables = templateVariables(definition, context, false);
  return templateIssues(
    step.id,
    index,
    [
      ['title', step.title],
      ['note', step.note],
    ],
    variables,
  );
}

function templateIssues(
  stepId: string,
  index: number,
  fields: Array<[string, string | undefined]>,
  variables: TemplateVariables,
): JourneyIssue[] {
  return fields.flatMap(([field, source]) =>
    source === undefined
      ? []
      : checkTemplate(source, variables).map((issue) => ({
          code: 'invalid_template' as const,
          stepId,
          field: stepPointer(index, field),
          message: `step ${stepId} ${field}: ${issue.message}`,
        })),
  );
}

/** The variables a template in this journey may read; see docs/journeys.md. */
export function templateVariables(
  definition: JourneyDefinition,
  context: JourneyValidationContext,
  hasOffer: boolean,
): TemplateVariables {
  const roots: TemplateVariables['roots'] = {
    traits: context.traits ?? 'any',
    person: ['id', 'timeZone'],
    journey: ['id', 'name', 'version'],
    // The person's next best products (trait `recommendations`, docs/recommendations.md).
    recommendations: 'any',
  };
  if (definition.entry.kind === 'event') roots.event = ['name', 'properties', 'timestamp'];
  if (hasOffer) roots.offer = 'any';
  return { roots };
}
