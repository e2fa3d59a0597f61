// An experiment as an object: what it tests (hypothesis), who owns it, its arms and their
// weights, the primary metric and the guardrails, when it runs, and what it is attached to
// (a journey's split, a placement's offers, a channel choice, or nothing: a website test through
// POST /v1/assign). The schema says the shape; checkExperiment says what the schema cannot.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RapportError } from '../errors/index.ts';

const Name = Type.String({ minLength: 1, maxLength: 200 });

export const MetricSchema = Type.Union([
  Type.Object(
    {
      name: Name,
      kind: Type.Literal('conversion'),
      event: Name,
      windowHours: Type.Number({ exclusiveMinimum: 0, description: 'counted this long after exposure' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      name: Name,
      kind: Type.Union([Type.Literal('sum'), Type.Literal('count')]),
      event: Name,
      property: Type.Optional(
        Type.String({ minLength: 1, description: 'sum: the numeric property summed per person' }),
      ),
      windowHours: Type.Number({ exclusiveMinimum: 0 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      name: Name,
      kind: Type.Literal('retention'),
      day: Type.Integer({
        minimum: 1,
        description: 'active (any event of theirs) on this day after exposure',
      }),
    },
    { additionalProperties: false },
  ),
]);
export type MetricDefinition = Static<typeof MetricSchema>;

export const AttachmentSchema = Type.Union([
  Type.Object({ kind: Type.Literal('standalone') }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('journey'), journeyId: Name, stepId: Name },
    {
      additionalProperties: false,
      description: "a journey's split step: its arms (and holdout) are the experiment's",
    },
  ),
  Type.Object({ kind: Type.Literal('placement'), placementId: Name }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('channel'), journeyId: Name }, { additionalProperties: false }),
]);

/** Below this many people in an arm, the verdict calls no winner. */
export const DEFAULT_MIN_PEOPLE_PER_ARM = 100;

export const BanditPolicySchema = Type.Object(
  {
    explorationShare: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'share of people spread evenly over the arms whatever the data say (default 0.1)',
    }),
    floor: Type.Number({
      minimum: 0,
      maximum: 0.5,
      description: 'no arm gets less than this share (default 0.02)',
    }),
  },
  { additionalProperties: false },
);
export type BanditPolicy = Static<typeof BanditPolicySchema>;
export const DEFAULT_BANDIT_POLICY: BanditPolicy = { explorationShare: 0.1, floor: 0.02 };

export const ArmSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), name: Name, weight: Type.Number({ minimum: 0 }) },
  { additionalProperties: false },
);

export const ExperimentSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
    name: Name,
    hypothesis: Type.String({ maxLength: 2000 }),
    owner: Type.String({ maxLength: 200 }),
    status: Type.Union([Type.Literal('draft'), Type.Literal('running'), Type.Literal('stopped')]),
    startAt: Type.Optional(Type.String({ format: 'date-time' })),
    stopAt: Type.Optional(Type.String({ format: 'date-time' })),
    attachment: AttachmentSchema,
    arms: Type.Array(ArmSchema, { minItems: 2, maxItems: 20, description: 'the first arm is the control' }),
    primaryMetric: MetricSchema,
    guardrailMetrics: Type.Array(MetricSchema, { maxItems: 20 }),
    engine: Type.Optional(
      Type.Union([Type.Literal('frequentist'), Type.Literal('bayesian'), Type.Literal('sequential')]),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('fixed'), Type.Literal('bandit')], {
        description:
          'fixed: the arms keep their weights; bandit: Thompson sampling moves the weights towards the arm that wins on the primary metric (placements: clicks)',
      }),
    ),
    bandit: Type.Optional(BanditPolicySchema),
    minPeoplePerArm: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: 1_000_000,
        description: `no winner is called before every arm has this many people (default ${DEFAULT_MIN_PEOPLE_PER_ARM})`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type Experiment = Static<typeof ExperimentSchema>;

function invalid(field: string, message: string): RapportError {
  return new RapportError('RAPPORT_EXPERIMENT_INVALID', `${field}: ${message}`, { field });
}

/**
 * What the schema cannot say. `knownEvents`, when given, is the set of event names the
 * warehouse has seen: a metric naming another is almost always a typo, and would read zero.
 */
export function checkExperiment(input: unknown, knownEvents?: ReadonlySet<string>): Experiment {
  if (!Value.Check(ExperimentSchema, input)) {
    const first = Value.Errors(ExperimentSchema, input).First();
    const field = first?.path.replace(/^\//, '').replaceAll('/', '.') || '(document)';
    throw invalid(field, first?.message ?? 'not an experiment');
  }
  const experiment = input;
  const total = experiment.arms.reduce((sum, arm) => sum + arm.weight, 0);
  if (Math.abs(total - 1) > 1e-6) {
    throw invalid('arms', `the weights must sum up to 1 (they sum up to ${Number(total.toFixed(6))})`);
  }
  if (experiment.mode === 'bandit') checkBandit(experiment);
  const floor = experiment.bandit?.floor ?? 0;
  if (floor * experiment.arms.length > 1) {
    throw invalid('bandit.floor', `${experiment.arms.length} arms cannot each get ${floor} of the people`);
  }
  const ids = new Set<string>();
  experiment.arms.forEach((arm, i) => {
    if (ids.has(arm.id)) throw invalid(`arms.${i}.id`, `two arms are called ${arm.id}`);
    ids.add(arm.id);
  });
  if (
    experiment.startAt &&
    experiment.stopAt &&
    Date.parse(experiment.stopAt) <= Date.parse(experiment.startAt)
  ) {
    throw invalid('stopAt', 'the experiment must stop after it starts');
  }
  const metrics = [
    ['primaryMetric', experiment.primaryMetric] as const,
    ...experiment.guardrailMetrics.map((m, i) => [`guardrailMetrics.${i}`, m] as const),
  ];
  const names = new Set<string>();
  for (const [field, metric] of metrics) {
    if (names.has(metric.name)) throw invalid(`${field}.name`, `two metrics are called ${metric.name}`);
    names.add(metric.name);
    if (metric.kind === 'sum' && !metric.property)
      throw invalid(`${field}.property`, 'a sum needs the property to add up');
    // The property name goes into the query's JSON path: plain names only.
    if (metric.kind === 'sum' && !/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(metric.property ?? '')) {
      throw invalid(`${field}.property`, 'letters, digits and _ only');
    }
    if (metric.kind !== 'retention' && knownEvents && !knownEvents.has(metric.event)) {
      throw invalid(`${field}.event`, `no event called ${JSON.stringify(metric.event)} has been seen`);
    }
  }
  return experiment;
}

/**
 * A bandit moves weights on placements (rewarded by clicks) and journey splits (rewarded by
 * the primary metric, which must then be a yes/no per person for its Beta posterior).
 */
function checkBandit(experiment: Experiment): void {
  const kind = experiment.attachment.kind;
  if (kind !== 'placement' && kind !== 'journey') {
    throw invalid(
      'mode',
      `a bandit drives a placement's offers or a journey's split, not a ${kind} experiment`,
    );
  }
  const metric = experiment.primaryMetric.kind;
  if (kind === 'journey' && metric !== 'conversion' && metric !== 'retention') {
    throw invalid('primaryMetric.kind', 'a journey bandit learns from a conversion or retention metric');
  }
}

/** Every metric of the experiment, primary first. */
export function metricsOf(
  experiment: Experiment,
): { metric: MetricDefinition; role: 'primary' | 'guardrail' }[] {
  return [
    { metric: experiment.primaryMetric, role: 'primary' },
    ...experiment.guardrailMetrics.map((metric) => ({ metric, role: 'guardrail' as const })),
  ];
}
