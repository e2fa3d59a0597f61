// GET /api/attribution (admin token): every model over Rapport's own touchpoints and
// conversions. Schemas are TypeBox through the type provider.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { type CredentialCache, requireAdmin } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import { resolveRange } from '../stats/range.ts';
import type { EventReader, SegmentStore, SpendStore } from '../store/index.ts';
import { MAX_MARKOV_ORDER } from './markov.ts';
import { fitResponseCurves, portfolioPlan, quantile, steadyResponse } from './portfolio.ts';
import { revenueByDayQuery, weeklyHistory } from './portfolio-data.ts';
import { channelPreferenceReport } from './preference.ts';
import { preferenceQueries } from './preference-sql.ts';
import { readTouches, reportFromRows, type TouchRead, touchQueryOf } from './report.ts';
import { holdoutRoi, type MeasuredIncrement, roiTable, withIncrements } from './roi.ts';
import { DEFAULT_HALF_LIFE_DAYS } from './rules.ts';
import {
  AttributionReportSchema,
  PortfolioSchema,
  PreferenceSchema,
  RoiSchema,
  SpendResultSchema,
} from './schema.ts';
import { sharedWhileRunning } from './shared-read.ts';
import { checkSpend, parseSpendCsv, type SpendFile } from './spend-csv.ts';
import { REVENUE_PROPERTIES } from './touchpoints.ts';
import { MODEL_NAMES, type ModelName } from './types.ts';

export interface AttributionRouteOptions {
  credentials: CredentialCache;
  events: Pick<EventReader, 'query'>;
  engine: 'duckdb' | 'postgres';
  /** Merged-away profile → the profile it ended in. */
  profileMap(): Promise<Map<string, string>>;
  spend: SpendStore;
  segments: Pick<SegmentStore, 'getSegment' | 'listMembers'>;
  now(): Date;
  /**
   * What each journey with a holdout caused in the range (the experiments module's journey
   * holdouts); absent: the ROI table has no incrementality.
   */
  journeyIncrements?: (input: {
    startMs: number;
    endMs: number;
    conversion: string;
    /** The conversion's revenue: the first of these properties holding a number ≥ 0. */
    revenueProperties: readonly string[];
    windowHours: number;
  }) => Promise<MeasuredIncrement[]>;
}

export const DEFAULT_CONVERSION_EVENT = 'Order Completed';
export const DEFAULT_LOOKBACK_DAYS = 30;
export const MAX_LOOKBACK_DAYS = 180;

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

const queryProperties = {
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
  segment: Type.Optional(Type.String({ minLength: 1, description: "only the segment's current members" })),
  groupBy: Type.Union([Type.Literal('channel'), Type.Literal('campaign')], {
    default: 'channel',
    description: 'credit channels, or each channel / campaign',
  }),
};

export const AttributionQuerySchema = Type.Object(queryProperties, { additionalProperties: false });

const RoiQuerySchema = Type.Object(
  {
    ...queryProperties,
    model: Type.Union(
      MODEL_NAMES.map((name) => Type.Literal(name)),
      { default: 'markov', description: 'the model whose credit the table shows' },
    ),
  },
  { additionalProperties: false },
);

const SpendInputSchema = Type.Object(
  {
    currency: Type.Optional(Type.String({ description: 'ISO 4217 code for rows without their own' })),
    csv: Type.Optional(Type.String({ description: 'a CSV: day,channel,campaign,amount[,currency]' })),
    rows: Type.Optional(
      Type.Array(
        Type.Object({
          day: Type.String(),
          channel: Type.String(),
          campaign: Type.Optional(Type.String()),
          amount: Type.Number(),
          currency: Type.Optional(Type.String()),
        }),
        { maxItems: 100_000 },
      ),
    ),
  },
  { additionalProperties: false },
);

const PortfolioQuerySchema = Type.Object(
  {
    from: Type.Optional({
      ...Day,
      description: 'first day of the history (UTC); default 363 days before to',
    }),
    to: Type.Optional({ ...Day, description: 'last day of the history (UTC); default today' }),
    conversion: Type.String({ minLength: 1, default: DEFAULT_CONVERSION_EVENT }),
    budget: Type.Optional(
      Type.Number({ minimum: 0, description: 'weekly budget to split; default the current total' }),
    ),
  },
  { additionalProperties: false },
);

const PreferenceQuerySchema = Type.Object(
  {
    from: Type.Optional({ ...Day, description: 'first day (UTC); default 89 days before to' }),
    to: Type.Optional({ ...Day, description: 'last day (UTC); default today' }),
    conversion: Type.String({ minLength: 1, default: DEFAULT_CONVERSION_EVENT }),
    segment: Type.Optional(Type.String({ minLength: 1, description: "only the segment's current members" })),
  },
  { additionalProperties: false },
);

/** Refits for the intervals: each costs one fit (seconds on a busy two-core machine). */
export const PORTFOLIO_BOOTSTRAP = 20;

/** The weeks whose average spend is "current". */
export const CURRENT_WEEKS = 4;

export const SPEND_QUERY =
  'SELECT channel, campaign, sum(amount), min(currency), count(*) FROM attribution_spend WHERE day BETWEEN :from AND :to GROUP BY channel, campaign';

export const DAILY_SPEND_QUERY =
  'SELECT day, channel, campaign, amount, currency FROM attribution_spend WHERE day BETWEEN :from AND :to';

const SpendListSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  currency: Type.Union([Type.String(), Type.Null()]),
  total: Type.Number(),
  rows: Type.Array(
    Type.Object({
      day: Type.String(),
      channel: Type.String(),
      campaign: Type.String(),
      amount: Type.Number(),
      currency: Type.String(),
    }),
  ),
  query: Type.String({ description: 'the SQL that read the rows' }),
});

export const attributionRoutes: FastifyPluginAsyncTypebox<AttributionRouteOptions> = async (app, options) => {
  app.addHook('onRequest', requireAdmin(options.credentials));
  app.get(
    '/api/attribution',
    {
      config: { access: 'read' },
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
      const { range, report } = await reportFor(q);
      return {
        from: range.from,
        to: range.to,
        conversion: q.conversion,
        lookbackDays: q.lookbackDays,
        order: q.order,
        withNulls: q.withNulls,
        segment: q.segment ?? null,
        groupBy: q.groupBy,
        ...report,
      };
    },
  );

  app.get(
    '/api/attribution/roi',
    {
      config: { access: 'read' },
      schema: {
        tags: ['attribution'],
        summary:
          'Reach, engagement, attributed conversions and revenue, cost, ROAS and ROI per channel or campaign',
        security: [{ adminToken: [] }],
        querystring: RoiQuerySchema,
        response: { 200: RoiSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      // The table shows one model's credit: the others are not run.
      const { range, report, read } = await reportFor(q, [q.model]);
      const spend = await options.spend.spendBetween(range.from, range.to);
      const sendCosts = await options.spend.sendCosts();
      const table = roiTable({
        channels: report.channels,
        credit: report.models[q.model],
        spend,
        sendCosts,
        groupBy: q.groupBy,
      });
      const increments =
        (await options.journeyIncrements?.({
          startMs: range.startMs,
          endMs: range.endMs,
          conversion: q.conversion,
          revenueProperties: REVENUE_PROPERTIES,
          windowHours: q.lookbackDays * 24,
        })) ?? [];
      let holdouts: ReturnType<typeof holdoutRoi> = [];
      if (increments.length > 0) {
        // A journey's credit and cost are its campaign rows, whatever the table is grouped by.
        const byCampaign =
          q.groupBy === 'campaign'
            ? report
            : (await reportFor({ ...q, groupBy: 'campaign' }, [q.model], read)).report;
        const campaignRows = roiTable({
          channels: byCampaign.channels,
          credit: byCampaign.models[q.model],
          spend,
          sendCosts,
          groupBy: 'campaign',
        }).rows;
        holdouts = holdoutRoi(increments, campaignRows);
      }
      return {
        from: range.from,
        to: range.to,
        model: q.model,
        groupBy: q.groupBy,
        segment: q.segment ?? null,
        currency: table.currency ?? (await options.spend.storedCurrency()),
        conversions: report.conversions,
        value: report.value,
        rows: q.groupBy === 'campaign' ? withIncrements(table.rows, holdouts) : table.rows,
        unmatchedSpend: table.unmatchedSpend,
        holdouts,
        query: report.query,
        spendQuery: SPEND_QUERY,
      };
    },
  );

  app.get(
    '/api/attribution/channel-preference',
    {
      config: { access: 'read' },
      schema: {
        tags: ['attribution'],
        summary:
          'Per channel, for a segment: reach, opens, clicks, conversions, the share who prefer it (learned and stated) with intervals, and its share of the spend',
        security: [{ adminToken: [] }],
        querystring: PreferenceQuerySchema,
        response: { 200: PreferenceSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = resolveRange({ from: q.from, to: q.to }, options.now().getTime(), 90);
      const people = q.segment === undefined ? undefined : await segmentMembers(q.segment);
      const queries = preferenceQueries({
        engine: options.engine,
        startMs: range.startMs,
        endMs: range.endMs,
        conversionEvent: q.conversion,
        profileMap: await options.profileMap(),
        people,
      });
      const read = (query: { text: string; params: unknown[] }) =>
        options.events.query(query.text, query.params);
      const deliveries = (await read(queries.deliveries)).map((row) => ({
        person: String(row.person),
        channel: String(row.channel),
        sent: Number(row.sent),
        engaged: Number(row.engaged),
        clicked: Number(row.clicked),
      }));
      const stated = new Map<string, string>();
      for (const row of await read(queries.stated)) stated.set(String(row.person), String(row.channel));
      const converted = new Set((await read(queries.converted)).map((row) => String(row.person)));
      const populationRates: Record<string, number> = {};
      for (const row of await read(queries.rates))
        if (Number(row.sent) > 0)
          populationRates[String(row.channel)] = Number(row.engaged) / Number(row.sent);
      const spend: Record<string, number> = {};
      for (const total of await options.spend.spendBetween(range.from, range.to))
        spend[total.channel] = (spend[total.channel] ?? 0) + total.amount;
      const report = channelPreferenceReport({
        deliveries,
        stated,
        converted,
        populationRates,
        members: people?.length,
        spend,
      });
      return {
        from: range.from,
        to: range.to,
        segment: q.segment ?? null,
        conversion: q.conversion,
        currency: await options.spend.storedCurrency(),
        ...report,
        queries: {
          deliveries: queries.deliveries.text,
          stated: queries.stated.text,
          rates: queries.rates.text,
          converted: queries.converted.text,
          spend: SPEND_QUERY,
        },
      };
    },
  );

  app.post(
    '/api/attribution/spend',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['attribution'],
        summary:
          'Import spend per channel, campaign and day (a CSV or rows); the same day, channel and campaign again replaces it',
        security: [{ adminToken: [] }],
        body: SpendInputSchema,
        response: { 200: SpendResultSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      if ((body.csv === undefined) === (body.rows === undefined)) {
        throw new RapportError('RAPPORT_API_BAD_REQUEST', 'body: send either csv or rows', { field: 'body' });
      }
      const parsed =
        body.csv !== undefined
          ? parseSpendCsv(new TextEncoder().encode(body.csv), body.currency, 'the CSV')
          : checkRows(body.rows ?? [], body.currency);
      const stored = await options.spend.storedCurrency();
      const expected = stored ?? parsed.rows[0]?.currency;
      const rows = [];
      for (const [index, row] of parsed.rows.entries()) {
        if (row.currency !== expected) {
          parsed.rejected.push({
            line: parsed.lines[index]!,
            field: 'currency',
            reason: `${row.channel} on ${row.day} is in ${row.currency}; spend is kept in ${expected}: convert it first`,
          });
        } else rows.push(row);
      }
      await options.spend.upsertSpend(rows);
      return {
        read: parsed.read,
        imported: rows.length,
        currency: expected ?? null,
        rejected: parsed.rejected,
      };
    },
  );

  app.get(
    '/api/attribution/spend',
    {
      config: { access: 'read' },
      schema: {
        tags: ['attribution'],
        summary: 'The imported spend per day, channel and campaign over a range of days',
        security: [{ adminToken: [] }],
        querystring: Type.Object(
          {
            from: Type.Optional({ ...Day, description: 'first day (UTC); default 29 days before to' }),
            to: Type.Optional({ ...Day, description: 'last day (UTC); default today' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SpendListSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const range = resolveRange(request.query, options.now().getTime(), 30);
      const rows = await options.spend.dailySpend(range.from, range.to);
      return {
        from: range.from,
        to: range.to,
        currency: await options.spend.storedCurrency(),
        total: rows.reduce((sum, row) => sum + row.amount, 0),
        rows,
        query: DAILY_SPEND_QUERY,
      };
    },
  );

  app.get(
    '/api/attribution/send-costs',
    {
      config: { access: 'read' },
      schema: {
        tags: ['attribution'],
        summary: "What one of Rapport's own messages costs per channel",
        security: [{ adminToken: [] }],
        response: { 200: Type.Record(Type.String(), Type.Number()) },
      },
    },
    async () => options.spend.sendCosts(),
  );

  app.put(
    '/api/attribution/send-costs/:channel',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['attribution'],
        summary: "Set what one of Rapport's own messages costs on a channel (in the spend currency)",
        security: [{ adminToken: [] }],
        params: Type.Object({ channel: Type.String({ minLength: 1, maxLength: 100 }) }),
        body: Type.Object({ cost: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
        response: { 200: Type.Record(Type.String(), Type.Number()), '4xx': errorSchema },
      },
    },
    async (request) => {
      await options.spend.setSendCost(request.params.channel.toLowerCase(), request.body.cost);
      return options.spend.sendCosts();
    },
  );

  app.get(
    '/api/attribution/portfolio',
    {
      config: { access: 'read' },
      schema: {
        tags: ['attribution'],
        summary:
          'Response curves per channel (adstock and saturation) fitted on weekly spend and revenue, marginal ROI and a suggested split of the budget',
        security: [{ adminToken: [] }],
        querystring: PortfolioQuerySchema,
        response: { 200: PortfolioSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = resolveRange({ from: q.from, to: q.to }, options.now().getTime(), 364);
      const query = revenueByDayQuery(options.engine, q.conversion, range.startMs, range.endMs);
      const revenue = (await options.events.query(query.text, query.params)).map((row) => ({
        day: String(row.day),
        revenue: Number(row.revenue),
      }));
      const history = weeklyHistory(
        range.startMs,
        range.endMs,
        await options.spend.dailySpend(range.from, range.to),
        revenue,
      );
      let fit: ReturnType<typeof fitResponseCurves>;
      try {
        fit = fitResponseCurves(history, { bootstrap: PORTFOLIO_BOOTSTRAP, seed: 1 });
      } catch (error) {
        if (error instanceof RangeError) {
          throw new RapportError('RAPPORT_ATTRIBUTION_INVALID_INPUT', `the spend history: ${error.message}`, {
            field: 'from',
          });
        }
        throw error;
      }
      const weeks = history.outcome.length;
      const recent = Math.min(CURRENT_WEEKS, weeks);
      const current = Object.fromEntries(
        fit.channels.map((channel) => {
          const series = history.spend[channel]!;
          return [channel, series.slice(weeks - recent).reduce((sum, x) => sum + x, 0) / recent];
        }),
      );
      const plan = portfolioPlan(fit, current, q.budget);
      return {
        from: range.from,
        to: range.to,
        weeks,
        currency: await options.spend.storedCurrency(),
        baseline: fit.baseline,
        rSquared: fit.rSquared,
        curves: fit.channels.map((channel) => {
          const curve = fit.curves[channel]!;
          const interval = fit.intervals[channel]!;
          const top = Math.max(...history.spend[channel]!, plan.budget) * 1.2;
          const points = Array.from({ length: 21 }, (_, step) => {
            const spend = (top * step) / 20;
            const draws = fit.draws.map((draw) => steadyResponse(draw.curves[channel]!, spend));
            return {
              spend,
              revenue: steadyResponse(curve, spend),
              low: quantile(draws, 0.05),
              high: quantile(draws, 0.95),
            };
          });
          return {
            channel,
            ...curve,
            decayInterval: interval.decay,
            betaInterval: interval.beta,
            kappaInterval: interval.kappa,
            points,
          };
        }),
        plan,
        query: query.text,
        spendQuery: DAILY_SPEND_QUERY,
      };
    },
  );

  async function reportFor(
    q: {
      from?: string | undefined;
      to?: string | undefined;
      conversion: string;
      lookbackDays: number;
      order: number;
      withNulls: boolean;
      halfLifeDays: number;
      segment?: string | undefined;
      groupBy: 'channel' | 'campaign';
    },
    models?: readonly ModelName[],
    /** Rows already read for the same range, people and conversion (another grouping). */
    read?: TouchRead,
  ) {
    const range = resolveRange({ from: q.from, to: q.to }, options.now().getTime(), 30);
    const people = q.segment === undefined ? undefined : await segmentMembers(q.segment);
    const input = {
      engine: options.engine,
      profileMap: await options.profileMap(),
      people,
      startMs: range.startMs,
      endMs: range.endMs,
      conversionEvent: q.conversion,
      lookbackDays: q.lookbackDays,
      order: q.order,
      withNulls: q.withNulls,
      halfLifeDays: q.halfLifeDays,
      groupBy: q.groupBy,
      ...(models ? { models } : {}),
    };
    const rows = read ?? (await touches(touchQueryOf(input)));
    return { range, report: reportFromRows(rows, input), read: rows };
  }

  /**
   * The touchpoints query's rows. The Measure page asks for the model comparison and the ROI
   * table (which also groups by campaign for its holdouts) at once, over the same query: a
   * read still running is shared by the requests that ask the same SQL with the same
   * parameters (the merge map and the people included), and the ROI table's campaign grouping
   * reuses its own read, so the page reads once instead of three times. Nothing is kept once the read is done: a later request reads afresh, so no
   * answer is older than its request.
   */
  const shareRead = sharedWhileRunning<TouchRead>();
  const touches = (query: { text: string; params: unknown[] }): Promise<TouchRead> =>
    shareRead(JSON.stringify([query.text, query.params]), () => readTouches(query, options.events));

  async function segmentMembers(id: string): Promise<string[]> {
    if (!(await options.segments.getSegment(id))) {
      throw new RapportError('RAPPORT_SEGMENT_NOT_FOUND', `segment ${id} does not exist`, {
        field: 'segment',
      });
    }
    const ids: string[] = [];
    for (let after = ''; ; ) {
      const page = await options.segments.listMembers(id, { afterId: after, limit: 10_000 });
      for (const member of page) ids.push(member.profileId);
      if (page.length < 10_000) return ids;
      after = page.at(-1)?.profileId ?? '';
    }
  }
};

function checkRows(
  rows: readonly { day: string; channel: string; campaign?: string; amount: number; currency?: string }[],
  currency: string | undefined,
) {
  const parsed: SpendFile = { read: rows.length, rows: [], lines: [], rejected: [] };
  rows.forEach((row, index) => {
    const checked = checkSpend(row, currency, index);
    if ('reason' in checked) parsed.rejected.push(checked);
    else {
      parsed.rows.push(checked);
      parsed.lines.push(index);
    }
  });
  return parsed;
}
