// The loyalty API (admin token): the programme, a person's ledger and badges, redemptions and
// adjustments, the leaderboard, badges and referrals at a glance, a run now and the last run;
// and the public referral link `/r/CODE`. Registered from server.ts with the runtime it started.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type CredentialCache, requireAdmin } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import { ProgrammeSchema } from './programme.ts';
import type { LoyaltyRuntime } from './runtime.ts';
import { PersonSchema, RunSchema } from './schema.ts';

export interface LoyaltyRouteOptions {
  credentials: CredentialCache;
  loyalty: LoyaltyRuntime;
}

const ProfileParams = Type.Object({ profileId: Type.String({ minLength: 1 }) });
const DebitAnswer = Type.Object({ ok: Type.Boolean(), inserted: Type.Boolean(), balance: Type.Integer() });
const refused = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
const common = { tags: ['loyalty'], security: [{ adminToken: [] }] };

export async function loyaltyRoutes(fastify: FastifyInstance, options: LoyaltyRouteOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.loyalty.service;
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
                outcome: Type.String({ description: 'pending, rewarded, or capped' }),
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
  app.get(
    '/api/loyalty/overview',
    {
      config: { access: 'read' },
      preHandler,
      schema: {
        ...common,
        summary: 'People holding each badge, and referrals by outcome (pending, rewarded, capped)',
        response: {
          200: Type.Object({
            badges: Type.Record(Type.String(), Type.Integer()),
            referrals: Type.Record(Type.String(), Type.Integer()),
          }),
          ...refused,
        },
      },
    },
    async () => service.overview(),
  );
  app.get(
    '/r/:code',
    {
      config: { access: 'public' },
      attachValidation: true,
      schema: {
        tags: ['loyalty'],
        summary:
          'A referral link: records Referral Link Opened on the referrer and redirects to the landing page with ref=CODE',
        params: Type.Object({ code: Type.String({ minLength: 3, maxLength: 400 }) }),
        response: { 302: Type.Null(), 404: Type.String() },
      },
    },
    async (request, reply) => {
      const opened = request.validationError
        ? undefined
        : await service.openReferralLink(request.params.code);
      reply.header('cache-control', 'no-store');
      if (!opened) return reply.code(404).type('text/plain').send('This referral link is not valid.');
      if (!opened.location)
        return reply.code(404).type('text/plain').send('This referral programme has no landing page yet.');
      return reply.redirect(opened.location, 302);
    },
  );
}
