// `rapport experiments compare` and POST /api/experiments/compare: one variant (or several, in
// `variants`, with their p-values adjusted together) against the control from aggregate
// statistics alone, as gbstats takes them. The document's shape is the
// schema below; what the schema cannot say (n ≥ 2, a variance above zero, a sum inside 0…n) is
// checked here, and every refusal names the field, so an answer never holds NaN.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RapportError } from '../../errors/index.ts';
import {
  type ArmSummary,
  type ArmTotals,
  type CovariateTotals,
  type MetricType,
  pooledTheta,
  summarise,
  summariseAdjusted,
} from './aggregates.ts';
import { bayesianEffect } from './bayesian.ts';
import { adjustPValues, type Correction } from './corrections.ts';
import type { DifferenceType } from './difference.ts';
import { DEFAULT_SEQUENTIAL_TUNING, sequentialTTest, welchTTest } from './frequentist.ts';

const finite = (description: string) => Type.Number({ description });

export const ArmTotalsSchema = Type.Object(
  {
    n: Type.Integer({ description: 'people in the arm (at least 2)' }),
    sum: finite('sum of the metric over the arm (conversions, for a proportion)'),
    sumSquares: Type.Optional(finite('sum of squared values (for a proportion, equal to sum)')),
    pre: Type.Optional(
      Type.Object(
        { sum: finite('sum of the pre-exposure covariate'), sumSquares: finite('its sum of squares') },
        { additionalProperties: false, description: 'CUPED: the covariate measured before exposure' },
      ),
    ),
    sumProducts: Type.Optional(finite('CUPED: Σ value × pre-value')),
  },
  { additionalProperties: false },
);

export const CompareRequestSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('proportion'), Type.Literal('mean')]),
    control: ArmTotalsSchema,
    variant: Type.Optional(ArmTotalsSchema),
    variants: Type.Optional(
      Type.Array(ArmTotalsSchema, {
        minItems: 1,
        maxItems: 19,
        description: 'several variants against the one control, instead of `variant`',
      }),
    ),
    correction: Type.Optional(
      Type.Union(
        [Type.Literal('holm-bonferroni'), Type.Literal('benjamini-hochberg'), Type.Literal('none')],
        { description: 'with `variants`: how the p-values are adjusted (default holm-bonferroni)' },
      ),
    ),
    engine: Type.Optional(
      Type.Union([Type.Literal('frequentist'), Type.Literal('bayesian'), Type.Literal('sequential')]),
    ),
    difference: Type.Optional(Type.Union([Type.Literal('relative'), Type.Literal('absolute')])),
    alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5 })),
    sequentialTuning: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    prior: Type.Optional(
      Type.Object(
        { mean: Type.Number(), variance: Type.Number({ exclusiveMinimum: 0 }) },
        { additionalProperties: false, description: 'Bayesian: a Gaussian prior on the effect' },
      ),
    ),
    theta: Type.Optional(Type.Number({ description: "CUPED's θ; pooled over both arms when absent" })),
  },
  { additionalProperties: false },
);
export type CompareRequest = Static<typeof CompareRequestSchema>;

const nullableNumber = Type.Union([Type.Number(), Type.Null()]);
export const CompareResultSchema = Type.Object({
  effect: Type.Number(),
  ci: Type.Tuple([Type.Number(), Type.Number()]),
  se: Type.Number(),
  pValue: nullableNumber,
  chanceToWin: nullableNumber,
  risk: Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()]),
});
export type CompareResult = Static<typeof CompareResultSchema>;

export const MultiCompareResultSchema = Type.Object({
  correction: Type.String(),
  variants: Type.Array(
    Type.Composite([CompareResultSchema, Type.Object({ adjustedPValue: nullableNumber })]),
  ),
});
export type MultiCompareResult = Static<typeof MultiCompareResultSchema>;

function invalid(field: string, message: string): RapportError {
  return new RapportError('RAPPORT_EXPERIMENT_INVALID', `${field}: ${message}`, { field });
}

/** Shape first (for the CLI; Fastify checks it for the route), then meaning. */
export function parseCompareRequest(input: unknown): CompareRequest {
  if (!Value.Check(CompareRequestSchema, input)) {
    const first = Value.Errors(CompareRequestSchema, input).First();
    const field = first?.path.replace(/^\//, '').replaceAll('/', '.') || '(document)';
    throw invalid(field, first?.message ?? 'not a compare document');
  }
  return input;
}

/** The document's answer: one variant's result, or with `variants` every variant's, adjusted. */
export function compareDocument(request: CompareRequest): CompareResult | MultiCompareResult {
  if ((request.variant === undefined) === (request.variants === undefined)) {
    throw invalid('variant', 'send one `variant`, or several in `variants`, not both');
  }
  return request.variants ? compareMany(request) : compare(request);
}

/** Refuses what would make a statistic undefined, naming the field. */
export function checkArm(type: MetricType, arm: ArmTotals, name: string): void {
  if (arm.n < 2) throw invalid(`${name}.n`, `needs at least 2 people (got ${arm.n})`);
  if (arm.sumSquares !== undefined && arm.sumSquares < 0) {
    throw invalid(`${name}.sumSquares`, 'a sum of squares cannot be negative');
  }
  if (type === 'proportion') {
    if (arm.sum < 0 || arm.sum > arm.n)
      throw invalid(`${name}.sum`, `conversions must be within 0…n (${arm.n})`);
    if (arm.sum === 0 || arm.sum === arm.n) {
      throw invalid(`${name}.sum`, 'zero variance: every person converted or none did');
    }
    return;
  }
  if (arm.sumSquares === undefined) throw invalid(`${name}.sumSquares`, 'required for a mean metric');
  const spread = arm.sumSquares - (arm.sum * arm.sum) / arm.n;
  if (spread < -1e-9 * Math.max(1, arm.sumSquares)) {
    throw invalid(`${name}.sumSquares`, 'smaller than sum²/n: these totals cannot come from real values');
  }
  if (spread <= 1e-12 * Math.max(1, arm.sumSquares)) {
    throw invalid(`${name}.sumSquares`, 'zero variance: every person has the same value');
  }
}

/** One control against one variant: the shape the engines take. */
type PairRequest = CompareRequest & { variant: NonNullable<CompareRequest['variant']> };

function checkCovariates(request: PairRequest): boolean {
  const arms = [
    ['control', request.control],
    ['variant', request.variant],
  ] as const;
  const present = arms.filter(([, arm]) => arm.pre !== undefined || arm.sumProducts !== undefined);
  if (present.length === 0) return false;
  for (const [name, arm] of arms) {
    if (!arm.pre) throw invalid(`${name}.pre`, 'CUPED needs the covariate in both arms');
    if (arm.sumProducts === undefined)
      throw invalid(`${name}.sumProducts`, 'CUPED needs Σ value × pre-value');
    if (arm.pre.sumSquares < 0)
      throw invalid(`${name}.pre.sumSquares`, 'a sum of squares cannot be negative');
  }
  return true;
}

function summaries(request: PairRequest): [ArmSummary, ArmSummary] {
  const { type, control, variant } = request;
  if (!checkCovariates(request)) return [summarise(type, control), summarise(type, variant)];
  const covariate = (arm: CompareRequest['control']): CovariateTotals => ({
    pre: arm.pre as CovariateTotals['pre'],
    sumProducts: arm.sumProducts as number,
  });
  const theta =
    request.theta ??
    pooledTheta(type, [
      { totals: control, covariate: covariate(control) },
      { totals: variant, covariate: covariate(variant) },
    ]);
  return [
    summariseAdjusted(type, control, covariate(control), theta),
    summariseAdjusted(type, variant, covariate(variant), theta),
  ];
}

export function compare(request: CompareRequest): CompareResult {
  if (!request.variant) throw invalid('variant', 'required (or use compareMany with `variants`)');
  return comparePair(request as PairRequest, 'variant');
}

/**
 * Several variants against the control, each compared as `compare` would, the frequentist
 * p-values then adjusted together (Holm–Bonferroni unless told), as gbstats does for an
 * experiment with more than two arms. A refusal names the variant: `variants.1.sum`.
 */
export function compareMany(request: CompareRequest): MultiCompareResult {
  const variants = request.variants ?? (request.variant ? [request.variant] : []);
  const correction: Correction = request.correction ?? 'holm-bonferroni';
  const results = variants.map((variant, i) =>
    comparePair({ ...request, variant, variants: undefined } as PairRequest, `variants.${i}`),
  );
  const withP = results.filter((r) => r.pValue !== null);
  const adjusted = adjustPValues(
    withP.map((r) => r.pValue as number),
    correction,
  );
  return {
    correction,
    variants: results.map((r) => ({
      ...r,
      adjustedPValue: r.pValue === null ? null : (adjusted[withP.indexOf(r)] as number),
    })),
  };
}

function comparePair(request: PairRequest, variantField: string): CompareResult {
  try {
    return comparePairChecked(request);
  } catch (error) {
    if (variantField === 'variant' || !(error instanceof RapportError)) throw error;
    const field = String((error.details as { field?: string } | undefined)?.field ?? '');
    if (!field.startsWith('variant')) throw error;
    const renamed = `${variantField}${field.slice('variant'.length)}`;
    throw invalid(renamed, error.message.slice(error.message.indexOf(':') + 2));
  }
}

function comparePairChecked(request: PairRequest): CompareResult {
  checkArm(request.type, request.control, 'control');
  checkArm(request.type, request.variant, 'variant');
  const difference: DifferenceType = request.difference ?? 'relative';
  if (difference === 'relative' && request.control.sum === 0) {
    throw invalid('control.sum', 'a relative difference needs a control mean other than zero');
  }
  const [control, variant] = summaries(request);
  if (!(control.variance > 0)) throw invalid('control', 'zero variance after the CUPED adjustment');
  if (!(variant.variance > 0)) throw invalid('variant', 'zero variance after the CUPED adjustment');
  const alpha = request.alpha ?? 0.05;
  const engine = request.engine ?? 'frequentist';
  const result = runEngine(engine, control, variant, { difference, alpha, request });
  return assertFinite(result);
}

function runEngine(
  engine: NonNullable<CompareRequest['engine']>,
  control: ArmSummary,
  variant: ArmSummary,
  { difference, alpha, request }: { difference: DifferenceType; alpha: number; request: PairRequest },
): CompareResult {
  if (engine === 'bayesian') {
    const r = bayesianEffect(control, variant, { difference, alpha, prior: request.prior });
    return { effect: r.effect, ci: r.ci, se: r.se, pValue: null, chanceToWin: r.chanceToWin, risk: r.risk };
  }
  const r =
    engine === 'sequential'
      ? sequentialTTest(control, variant, {
          difference,
          alpha,
          tuning: request.sequentialTuning ?? DEFAULT_SEQUENTIAL_TUNING,
        })
      : welchTTest(control, variant, { difference, alpha });
  return { effect: r.effect, ci: r.ci, se: r.se, pValue: r.pValue, chanceToWin: null, risk: null };
}

function assertFinite(result: CompareResult): CompareResult {
  const numbers = [result.effect, result.se, ...result.ci, result.pValue ?? 0, result.chanceToWin ?? 0];
  if (numbers.some((x) => !Number.isFinite(x))) {
    throw invalid('(document)', 'these totals give no finite answer (check n, sum and sumSquares)');
  }
  return result;
}
