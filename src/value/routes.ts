// The value API (admin token): refresh the scores, the ranking with explanations, the renewal
// calendar, the retention budget, and the value page's charts (distribution, P(alive) × CLV
// scatter, predicted versus actual). Registered from server.ts with one line; the plugin owns
// its service and schedule and stops the schedule when the server closes.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import { MAX_HISTOGRAM_BINS, VALUE_METRICS, type ValueMetric } from './distribution.ts';
import type { LeadAction } from './lead-score.ts';
import { MAX_SCATTER_POINTS, ValueService, type ValueServiceDeps } from './service.ts';

export { MAX_HISTOGRAM_BINS, MAX_SCATTER_POINTS };

export interface ValueRouteOptions extends ValueServiceDeps {
  credentials: CredentialCache;
  /** Hours between scheduled refreshes; 0 = off. */
  refreshHours: number;
  /** Each refresh's lead threshold crossings (the server makes them sales tasks). */
  onLeadActions?: (actions: LeadAction[]) => Promise<unknown>;
  /** Completed erasures: the ranking kept in memory forgets the person (docs/privacy.md). */
  erasures?: { onErased(listener: (erased: { profileIds: string[] }) => void): void };
}

const numberOrNull = { type: ['number', 'null'] } as const;

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
/** The subscriber churn model of the last refresh: whether it is fitted, and how well it ranks. */
export const ChurnModelSchema = Type.Object({
  computedAt: Type.String({ format: 'date-time' }),
  fitted: Type.Boolean({
    description: 'false: too few churners or stayers; subscribers show "not enough data"',
  }),
  note: Type.Union([Type.String(), Type.Null()], { description: 'why the model is not fitted' }),
  examples: Type.Integer({ description: 'subscribers active at the learning cutoff' }),
  heldOut: Type.Integer({ description: 'of them, held out to measure the AUC' }),
  heldOutAuc: Type.Union([Type.Number(), Type.Null()], {
    description: 'P(a churner is ranked above a stayer) on the held-out subscribers; 0.5 is a coin toss',
  }),
  trainingAuc: NullableNumber,
  baseRate: NullableNumber,
});
const numberMap = { type: ['object', 'null'], additionalProperties: { type: 'number' } } as const;

const refreshSummarySchema = {
  type: 'object',
  properties: {
    computedAt: { type: 'string', format: 'date-time' },
    customers: { type: 'integer' },
    buyers: { type: 'integer' },
    subscribers: { type: 'integer' },
    clv: {
      type: 'object',
      properties: {
        params: numberMap,
        spendParams: numberMap,
        unit: { type: 'string' },
        horizon: { type: 'number' },
      },
    },
    churn: {
      type: 'object',
      properties: {
        fitted: { type: 'boolean' },
        note: { type: ['string', 'null'] },
        examples: { type: 'integer' },
        heldOut: { type: 'integer' },
        heldOutAuc: numberOrNull,
        trainingAuc: numberOrNull,
        baseRate: numberOrNull,
        coefficients: numberMap,
      },
    },
    leadActions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          profileId: { type: 'string' },
          threshold: { type: 'string' },
          action: { type: 'string' },
          score: { type: 'number' },
          previousScore: numberOrNull,
        },
      },
    },
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;

const rankingSchema = {
  type: 'object',
  properties: {
    computedAt: { type: 'string' },
    customers: { type: 'integer' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          profileId: { type: 'string' },
          rank: { type: 'integer' },
          score: { type: 'number' },
          explanation: { type: 'string' },
          clv: numberOrNull,
          churnRisk: numberOrNull,
          leadScore: { type: 'number' },
        },
      },
    },
  },
} as const;

const renewalsSchema = {
  type: 'object',
  properties: {
    computedAt: { type: 'string' },
    from: { type: 'string' },
    totalRevenue: { type: 'number' },
    totalAtRisk: { type: 'number' },
    totalRiskUnknown: { type: 'number' },
    months: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          month: { type: 'string' },
          renewals: { type: 'integer' },
          revenue: { type: 'number' },
          revenueAtRisk: { type: 'number' },
          revenueRiskUnknown: { type: 'number' },
        },
      },
    },
  },
} as const;

const budgetSchema = {
  type: 'object',
  properties: {
    computedAt: { type: 'string' },
    amount: { type: 'number' },
    costPerCustomer: { type: 'number' },
    spent: { type: 'number' },
    remaining: { type: 'number' },
    valueAtRiskCovered: { type: 'number' },
    savableCovered: { type: 'number' },
    effect: { type: 'number' },
    effectSource: { type: 'string', enum: ['prior', 'measured'] },
    candidates: { type: 'integer' },
    chosen: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          profileId: { type: 'string' },
          value: { type: 'number' },
          churnRisk: { type: 'number' },
          pAlive: { type: 'number' },
          cost: { type: 'number' },
          valueAtRisk: { type: 'number' },
          savable: { type: 'number' },
        },
      },
    },
  },
} as const;

const distributionSchema = {
  type: 'object',
  properties: {
    metric: { type: 'string', enum: VALUE_METRICS },
    computedAt: { type: ['string', 'null'] },
    scale: { type: 'string', enum: ['log', 'linear'] },
    profiles: { type: 'integer', description: 'live profiles' },
    count: { type: 'integer', description: 'live profiles with a value' },
    withoutValue: { type: 'integer', description: 'live profiles with no value yet' },
    mean: numberOrNull,
    min: numberOrNull,
    max: numberOrNull,
    percentiles: {
      type: ['object', 'null'],
      properties: {
        p10: { type: 'number' },
        p50: { type: 'number' },
        p90: { type: 'number' },
        p99: { type: 'number' },
      },
    },
    bins: {
      type: 'array',
      items: {
        type: 'object',
        properties: { from: { type: 'number' }, to: { type: 'number' }, count: { type: 'integer' } },
      },
    },
  },
} as const;

const scatterSchema = {
  type: 'object',
  properties: {
    computedAt: { type: ['string', 'null'] },
    total: { type: 'integer', description: 'live profiles with a CLV' },
    sampled: { type: 'integer' },
    limit: { type: 'integer' },
    every: { type: 'integer', description: 'every k-th profile in CLV order (ties by profile id)' },
    points: {
      type: 'array',
      items: {
        type: 'object',
        properties: { profileId: { type: 'string' }, clv: { type: 'number' }, pAlive: { type: 'number' } },
      },
    },
  },
} as const;

const holdoutRowSchema = {
  type: 'object',
  properties: {
    bucket: { type: 'string' },
    customers: { type: 'integer' },
    actual: { type: 'number' },
    predicted: { type: 'number' },
    actualPerCustomer: { type: 'number' },
    predictedPerCustomer: { type: 'number' },
    relativeError: numberOrNull,
  },
} as const;

const validationSchema = {
  type: 'object',
  properties: {
    computedAt: { type: 'string' },
    note: { type: ['string', 'null'], description: 'why there is no validation, when there is none' },
    validation: {
      type: ['object', 'null'],
      properties: {
        calibrationEnd: { type: 'string', format: 'date' },
        holdoutEnd: { type: 'string', format: 'date' },
        holdoutDays: { type: 'integer' },
        unit: { type: 'string' },
        customers: { type: 'integer' },
        params: numberMap,
        groups: {
          type: 'array',
          description: 'customers in ten equal groups by predicted holdout purchases',
          items: {
            type: 'object',
            properties: {
              group: { type: 'integer' },
              customers: { type: 'integer' },
              meanPredicted: { type: 'number' },
              meanActual: { type: 'number' },
              minPredicted: { type: 'number' },
              maxPredicted: { type: 'number' },
            },
          },
        },
        buckets: { type: 'array', items: holdoutRowSchema },
        total: holdoutRowSchema,
        verdict: { type: 'string', enum: ['good', 'poor', 'too little data'] },
        errors: {
          type: 'object',
          properties: {
            meanAbsoluteError: { type: 'number' },
            rootMeanSquaredError: { type: 'number' },
            correlation: numberOrNull,
          },
        },
        warnings: { type: 'array', items: { type: 'string' } },
      },
    },
  },
} as const;

export async function valueRoutes(app: FastifyInstance, options: ValueRouteOptions): Promise<void> {
  const service = new ValueService(
    { events: options.events, state: options.state },
    {},
    options.onLeadActions,
  );
  options.erasures?.onErased(({ profileIds }) => service.forget(profileIds));
  service.schedule(options.refreshHours, (error) =>
    app.log.error({ err: error }, 'scheduled value refresh failed'),
  );
  app.addHook('onClose', async () => service.stop());
  // Once the server is up (the pipeline has its stores open), not during registration.
  app.addHook('onReady', async () => {
    await service.restoreAfterRestart((error) =>
      app.log.error({ err: error }, 'value recompute after restart failed'),
    );
  });
  const security = [{ adminToken: [] }];

  app.post(
    '/api/value/refresh',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['value'],
        summary: 'Recompute CLV, churn risk, value score and lead score; write them on the profiles',
        security,
        response: { 200: refreshSummarySchema, '4xx': errorSchema },
      },
    },
    async () => {
      const { scores: _scores, subscriptions: _subscriptions, ...summary } = await service.refresh();
      return summary;
    },
  );

  app.get(
    '/api/value/ranking',
    {
      config: { access: 'read' },
      schema: {
        tags: ['value'],
        summary: 'Most (top) or least (bottom) valuable customers with the explanation of their score',
        security,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 20 },
            order: { type: 'string', enum: ['top', 'bottom'], default: 'top' },
          },
        },
        response: { 200: rankingSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { limit, order } = request.query as { limit: number; order: 'top' | 'bottom' };
      return service.ranking(order, limit);
    },
  );

  app.get(
    '/api/value/distribution',
    {
      config: { access: 'read' },
      schema: {
        tags: ['value'],
        summary: 'Histogram, percentiles and mean of CLV, value score or P(alive) over the live profiles',
        security,
        querystring: {
          type: 'object',
          properties: {
            metric: { type: 'string', enum: VALUE_METRICS, default: 'clv' },
            bins: { type: 'integer', minimum: 1, maximum: MAX_HISTOGRAM_BINS, default: 20 },
          },
        },
        response: { 200: distributionSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { metric, bins } = request.query as { metric: ValueMetric; bins: number };
      return service.distribution(metric, bins);
    },
  );

  app.get(
    '/api/value/scatter',
    {
      config: { access: 'read' },
      schema: {
        tags: ['value'],
        summary:
          'P(alive) against CLV for a deterministic sample of profiles, every k-th by CLV (at most 2,000 points)',
        security,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_SCATTER_POINTS, default: 1_000 } },
        },
        response: { 200: scatterSchema, '4xx': errorSchema },
      },
    },
    async (request) => service.scatter((request.query as { limit: number }).limit),
  );

  app.get(
    '/api/value/validation',
    {
      config: { access: 'read' },
      schema: {
        tags: ['value'],
        summary:
          'Predicted versus actual purchases in the holdout period of the last refresh (the model check)',
        security,
        response: { 200: validationSchema, '4xx': errorSchema },
      },
    },
    async () => service.validation(),
  );

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/value/churn',
    {
      config: { access: 'read' },
      schema: {
        tags: ['value'],
        summary: 'The subscriber churn model of the last refresh: fitted or not enough data, held-out AUC',
        security,
        response: { 200: ChurnModelSchema, '4xx': errorSchema },
      },
    },
    async () => service.churnModel(),
  );

  app.get(
    '/api/value/renewals',
    {
      config: { access: 'read' },
      schema: {
        tags: ['value'],
        summary: 'Renewals and revenue up for renewal per month, with the part at risk of churn',
        security,
        querystring: {
          type: 'object',
          properties: { months: { type: 'integer', minimum: 0, maximum: 120, default: 12 } },
        },
        response: { 200: renewalsSchema, '4xx': errorSchema },
      },
    },
    async (request) => service.renewals((request.query as { months: number }).months),
  );

  app.get(
    '/api/value/budget',
    {
      config: { access: 'read' },
      schema: {
        tags: ['value'],
        summary:
          'Who to make happiest with this retention budget: greedy by what can still be saved (value × P(alive) × churn risk × effect)',
        security,
        querystring: {
          type: 'object',
          properties: {
            amount: { type: 'number', minimum: 0 },
            costPerCustomer: { type: 'number', exclusiveMinimum: 0 },
            effect: {
              type: 'number',
              exclusiveMinimum: 0,
              maximum: 1,
              description:
                'share of would-be leavers the action keeps, as a holdout measured it; default 0.1 (a prior)',
            },
          },
          required: ['amount', 'costPerCustomer'],
        },
        response: { 200: budgetSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { amount, costPerCustomer, effect } = request.query as {
        amount: number;
        costPerCustomer: number;
        effect?: number;
      };
      return service.budget(amount, costPerCustomer, effect);
    },
  );
}
