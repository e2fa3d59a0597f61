// GET /api/attribution (admin token): every model over Rapport's own touchpoints and
// conversions. Schemas are TypeBox through the type provider.
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { requireAdmin } from '../api/index.ts';
import { errorSchema } from '../api/schemas.ts';
import type { CredentialCache } from '../auth/index.ts';
import type { EventReader } from '../pipeline/rpc.ts';
import { resolveRange } from '../stats/range.ts';
import { MAX_MARKOV_ORDER } from './markov.ts';
import { attributionReport } from './report.ts';
import { DEFAULT_HALF_LIFE_DAYS } from './rules.ts';
import { MODEL_NAMES } from './types.ts';

export interface AttributionRouteOptions {
  credentials: CredentialCache;
  events: Pick<EventReader, 'query'>;
  engine: 'duckdb' | 'postgres';
  /** Merged-away profile → the profile it ended in. */
  profileMap(): Promise<Map<string, string>>;
  now(): Date;
}

export const DEFAULT_CONVERSION_EVENT = 'Order Completed';
export const DEFAULT_LOOKBACK_DAYS = 30;
export const MAX_LOOKBACK_DAYS = 180;

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

export const AttributionQuerySchema = Type.Object(
  {
    from: Type.Optional({ ...Day, description: 'first day of conversions (UTC); default 29 days before to' }),
    to: Type.Optional({ ...Day, description: 'last day of conversions (UTC); default today' }),
    conversion: Type.String({
      minLength: 1,
      default: DEFAULT_CONVERSION_EVENT,
      description: 'the conversion event',
    }),
    lookbackDays: Type.Integer({
      minimum: 1,
      maximum: MAX_LOOKBACK_DAYS,
      default: DEFAULT_LOOKBACK_DAYS,
      description: 'touches older than this before a conversion do not count',
    }),
    order: Type.Integer({ minimum: 1, maximum: MAX_MARKOV_ORDER, default: 1, description: 'Markov order' }),
    withNulls: Type.Boolean({
      default: true,
      description: 'Markov and Shapley count people who did not convert',
    }),
    halfLifeDays: Type.Number({
      exclusiveMinimum: 0,
      default: DEFAULT_HALF_LIFE_DAYS,
      description: 'time decay',
    }),
  },
  { additionalProperties: false },
);

const Credit = Type.Object({ conversions: Type.Number(), value: Type.Number() });

export const AttributionReportSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  conversion: Type.String(),
  lookbackDays: Type.Integer(),
  order: Type.Integer(),
  withNulls: Type.Boolean(),
  people: Type.Integer({ description: 'people with a touch or a conversion read' }),
  conversions: Type.Integer(),
  value: Type.Number({ description: 'revenue of the attributable conversions' }),
  conversionsWithoutRevenue: Type.Integer({ description: 'conversions with no revenue property (value 0)' }),
  conversionsWithoutTouches: Type.Integer({
    description: 'conversions with no touch in the lookback window',
  }),
  paths: Type.Integer({
    description: 'one per attributable conversion and one per person who did not convert',
  }),
  channels: Type.Array(
    Type.Object({
      channel: Type.String(),
      reach: Type.Integer(),
      touches: Type.Integer(),
      engaged: Type.Integer(),
    }),
  ),
  models: Type.Object(
    Object.fromEntries(MODEL_NAMES.map((name) => [name, Type.Record(Type.String(), Credit)])),
  ),
  query: Type.String({ description: 'the SQL that read the touchpoints' }),
});

export const attributionRoutes: FastifyPluginAsyncTypebox<AttributionRouteOptions> = async (app, options) => {
  app.addHook('onRequest', requireAdmin(options.credentials));
  app.get(
    '/api/attribution',
    {
      schema: {
        tags: ['attribution'],
        summary: "Every attribution model over Rapport's own touchpoints and conversions",
        security: [{ adminToken: [] }],
        querystring: AttributionQuerySchema,
        response: { 200: AttributionReportSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = resolveRange({ from: q.from, to: q.to }, options.now().getTime(), 30);
      const report = await attributionReport({
        engine: options.engine,
        events: options.events,
        profileMap: await options.profileMap(),
        startMs: range.startMs,
        endMs: range.endMs,
        conversionEvent: q.conversion,
        lookbackDays: q.lookbackDays,
        order: q.order,
        withNulls: q.withNulls,
        halfLifeDays: q.halfLifeDays,
      });
      return {
        from: range.from,
        to: range.to,
        conversion: q.conversion,
        lookbackDays: q.lookbackDays,
        order: q.order,
        withNulls: q.withNulls,
        ...report,
      };
    },
  );
};
