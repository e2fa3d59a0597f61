// The value API (admin token): refresh the scores, the ranking with explanations, the renewal
// calendar, the retention budget, and the value page's charts (distribution, P(alive) × CLV
// scatter, predicted versus actual). Registered from server.ts with one line; the plugin owns
// its service and schedule and stops the schedule when the server closes.
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema, Nullable, StringEnum } from '../errors/index.ts';
import { MAX_HISTOGRAM_BINS, VALUE_METRICS } from './distribution.ts';
import type { LeadAction } from './lead-score.ts';
import {
  BudgetSchema,
  ChurnModelSchema,
  RankingSchema,
  RenewalsSchema,
  ValueDistributionSchema,
  ValueScatterSchema,
  ValueValidationSchema,
} from './schema.ts';
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

const numberOrNull = Nullable(Type.Number());

const numberMap = Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()]);

const refreshSummarySchema = Type.Object({
  computedAt: Type.Optional(Type.String({ format: 'date-time' })),
  customers: Type.Optional(Type.Integer()),
  buyers: Type.Optional(Type.Integer()),
  subscribers: Type.Optional(Type.Integer()),
  clv: Type.Optional(
    Type.Object({
      params: Type.Optional(numberMap),
      spendParams: Type.Optional(numberMap),
      unit: Type.Optional(Type.String()),
      horizon: Type.Optional(Type.Number()),
    }),
  ),
  churn: Type.Optional(
    Type.Object({
      fitted: Type.Optional(Type.Boolean()),
      note: Type.Optional(Nullable(Type.String())),
      examples: Type.Optional(Type.Integer()),
      heldOut: Type.Optional(Type.Integer()),
      heldOutAuc: Type.Optional(numberOrNull),
      trainingAuc: Type.Optional(numberOrNull),
      baseRate: Type.Optional(numberOrNull),
      coefficients: Type.Optional(numberMap),
    }),
  ),
  leadActions: Type.Optional(
    Type.Array(
      Type.Object({
        profileId: Type.Optional(Type.String()),
        threshold: Type.Optional(Type.String()),
        action: Type.Optional(Type.String()),
        score: Type.Optional(Type.Number()),
        previousScore: Type.Optional(numberOrNull),
      }),
    ),
  ),
  warnings: Type.Optional(Type.Array(Type.String())),
});

export const valueRoutes: FastifyPluginAsyncTypebox<ValueRouteOptions> = async (app, options) => {
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
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 10000, default: 20 }),
          order: StringEnum(['top', 'bottom'], { default: 'top' }),
        }),
        response: { 200: RankingSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { limit, order } = request.query;
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
        querystring: Type.Object({
          metric: StringEnum(VALUE_METRICS, { default: 'clv' }),
          bins: Type.Integer({ minimum: 1, maximum: MAX_HISTOGRAM_BINS, default: 20 }),
        }),
        response: { 200: ValueDistributionSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { metric, bins } = request.query;
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
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: MAX_SCATTER_POINTS, default: 1000 }),
        }),
        response: { 200: ValueScatterSchema, '4xx': errorSchema },
      },
    },
    async (request) => service.scatter(request.query.limit),
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
        response: { 200: ValueValidationSchema, '4xx': errorSchema },
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
        querystring: Type.Object({
          months: Type.Integer({ minimum: 0, maximum: 120, default: 12 }),
        }),
        response: { 200: RenewalsSchema, '4xx': errorSchema },
      },
    },
    async (request) => service.renewals(request.query.months),
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
        querystring: Type.Object({
          amount: Type.Number({ minimum: 0 }),
          costPerCustomer: Type.Number({ exclusiveMinimum: 0 }),
          effect: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              maximum: 1,
              description:
                'share of would-be leavers the action keeps, as a holdout measured it; default 0.1 (a prior)',
            }),
          ),
        }),
        response: { 200: BudgetSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { amount, costPerCustomer, effect } = request.query;
      return service.budget(amount, costPerCustomer, effect);
    },
  );
};
