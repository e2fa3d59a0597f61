// The loyalty API (admin token): the programme, a person's ledger, redemptions and adjustments,
// the leaderboard, a run now and the last run. Registered from server.ts with one line; the
// plugin owns its service and schedule and stops the schedule when the server closes.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type CredentialCache, requireAdmin } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import { ProgrammeSchema, TierSchema } from './programme.ts';
import { type LoyaltyDeps, LoyaltyService } from './service.ts';

export interface LoyaltyRouteOptions extends LoyaltyDeps {
  credentials: CredentialCache;
  /** Milliseconds between runs in this process; 0 = no schedule (RAPPORT_PROCESSORS=off). */
  runEveryMs: number;
}

const EntrySchema = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  profileId: Type.String(),
  kind: Type.String(),
  points: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  sourceMessageId: Type.Union([Type.String(), Type.Null()]),
  ruleId: Type.Union([Type.String(), Type.Null()]),
  campaignId: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});
const PersonSchema = Type.Object({
  profileId: Type.String(),
  balance: Type.Integer(),
  qualifyingPoints: Type.Integer(),
  tier: Type.Union([TierSchema, Type.Null()]),
  entries: Type.Array(EntrySchema),
});
const RunSchema = Type.Object({
  at: Type.String(),
  eventsRead: Type.Integer(),
  earned: Type.Integer(),
  pointsEarned: Type.Integer(),
  expired: Type.Integer(),
  tierChanges: Type.Integer(),
  traitsWritten: Type.Integer(),
  referrals: Type.Integer(),
  referralRewards: Type.Integer(),
});
const ProfileParams = Type.Object({ profileId: Type.String({ minLength: 1 }) });
const DebitAnswer = Type.Object({ ok: Type.Boolean(), inserted: Type.Boolean(), balance: Type.Integer() });
const refused = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
const common = { tags: ['loyalty'], security: [{ adminToken: [] }] };

export async function loyaltyRoutes(fastify: FastifyInstance, options: LoyaltyRouteOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const service = new LoyaltyService(options);
  const preHandler = requireAdmin(options.credentials);
  app.get(
    '/api/loyalty/programme',
    {
      config: { access: 'read' },
      preHandler,
      schema: { ...common, summary: 'The loyalty programme', response: { 200: ProgrammeSchema, ...refused } },
    },
    async () => service.programme(),
  );
  app.put(
    '/api/loyalty/programme',
    {
      config: { access: 'marketing:write' },
      preHandler,
      schema: {
        ...common,
        summary: 'Replace the programme (refused, every issue named, when an earn rule would loop …)',
        body: ProgrammeSchema,
        response: { 200: ProgrammeSchema, ...refused },
      },
    },
    async (request) => service.saveProgramme(request.body),
  );
  app.get(
    '/api/loyalty/people/:profileId',
    {
      config: { access: 'read' },
      preHandler,
      schema: {
        ...common,
        summary: 'A person’s balance, tier and ledger',
        params: ProfileParams,
        response: { 200: PersonSchema, ...refused },
      },
    },
    async (request) => service.person(request.params.profileId),
  );
  app.get(
    '/api/loyalty/people/:profileId/referral',
    {
      config: { access: 'read' },
      preHandler,
      schema: {
        ...common,
        summary: 'A person’s signed referral code (put it in links as ?ref=CODE) and whom they referred',
        params: ProfileParams,
        response: {
          200: Type.Object({
            code: Type.String(),
            referred: Type.Array(
              Type.Object({
                refereeId: Type.String(),
                at: Type.String(),
                rewardedAt: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
          ...refused,
        },
      },
    },
    async (request) => service.referral(request.params.profileId),
  );
  app.post(
    '/api/loyalty/people/:profileId/redeem',
    {
      config: { access: 'marketing:write' },
      preHandler,
      schema: {
        ...common,
        summary: 'Redeem points (409 with the ledger untouched when the balance is short)',
        params: ProfileParams,
        body: Type.Object(
          {
            points: Type.Integer({ minimum: 1 }),
            requestId: Type.String({
              minLength: 1,
              maxLength: 200,
              description: 'a retry with the same id redeems once',
            }),
            reason: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: { 200: DebitAnswer, ...refused },
      },
    },
    async (request) =>
      service.redeem(
        request.params.profileId,
        request.body.points,
        request.body.requestId,
        request.body.reason ?? null,
      ),
  );
  app.post(
    '/api/loyalty/people/:profileId/adjust',
    {
      config: { access: 'marketing:write' },
      preHandler,
      schema: {
        ...common,
        summary: 'An admin’s adjustment, with its reason',
        params: ProfileParams,
        body: Type.Object(
          {
            points: Type.Integer({ not: { const: 0 } }),
            reason: Type.String({ minLength: 3 }),
            requestId: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: DebitAnswer, ...refused },
      },
    },
    async (request) =>
      service.adjust(
        request.params.profileId,
        request.body.points,
        request.body.requestId,
        request.body.reason,
      ),
  );
  app.get(
    '/api/loyalty/leaderboard',
    {
      config: { access: 'read' },
      preHandler,
      schema: {
        ...common,
        summary: 'People by balance',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 20 }) }),
        response: {
          200: Type.Array(
            Type.Object({ profileId: Type.String(), balance: Type.Integer(), earned: Type.Integer() }),
          ),
          ...refused,
        },
      },
    },
    async (request) => service.leaderboard(request.query.limit),
  );
  app.get(
    '/api/loyalty/status',
    {
      config: { access: 'read' },
      preHandler,
      schema: {
        ...common,
        summary: 'The last run (null before the first)',
        response: { 200: Type.Object({ last: Type.Union([RunSchema, Type.Null()]) }), ...refused },
      },
    },
    async () => ({ last: await service.lastRun() }),
  );
  app.post(
    '/api/loyalty/run',
    {
      config: { access: 'marketing:write' },
      preHandler,
      schema: {
        ...common,
        summary: 'Earn, expire and update tiers now',
        response: { 200: RunSchema, ...refused },
      },
    },
    async () => service.run(),
  );
  if (options.runEveryMs > 0) {
    service.schedule(options.runEveryMs, (error) => app.log.error({ err: error }, 'loyalty run failed'));
  }
  app.addHook('onClose', async () => service.stop());
}
