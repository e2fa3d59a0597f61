// The experiments API. Admin token: compare, the experiments themselves and their results.
// Write key: POST /v1/assign, called by a website for a person's arm. Schemas are TypeBox
// through the type provider: one source for validation, the OpenAPI document and the types.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { type CredentialCache, requireAdmin, secretFromAuthorization } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import { ExperimentSchema } from './definition.ts';
import {
  BanditHistorySchema,
  BanditSchema,
  ExperimentResultsSchema,
  ProgrammeLiftSchema,
} from './results-schema.ts';
import {
  AssignAnswer,
  AssignBody,
  BanditQuery,
  ExperimentBody,
  ExperimentIdParams,
  PlacementParams,
  ProgrammeLiftQuery,
} from './schema.ts';
import type { ExperimentService } from './service.ts';
import {
  CompareRequestSchema,
  CompareResultSchema,
  compareDocument,
  MultiCompareResultSchema,
} from './stats/compare.ts';

export interface ExperimentRouteOptions {
  credentials: CredentialCache;
  /** Absent: only compare (which needs no storage) is served. */
  experiments?: ExperimentService;
}

async function requireWriteKey(request: FastifyRequest, credentials: CredentialCache): Promise<void> {
  const secret = secretFromAuthorization(request.headers.authorization);
  if (!secret || !(await credentials.verify(secret, 'write'))) {
    throw new RapportError(
      'RAPPORT_INGEST_UNKNOWN_WRITE_KEY',
      'send a live write key as the HTTP Basic username',
    );
  }
}

const adminRoutes: FastifyPluginAsyncTypebox<ExperimentRouteOptions> = async (app, options) => {
  app.addHook('onRequest', requireAdmin(options.credentials));
  const tags = ['experiments'];
  const security = [{ adminToken: [] }];
  app.post(
    '/api/experiments/compare',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary:
          'Compare a variant (or several, adjusted together) with the control from aggregate statistics',
        security,
        body: CompareRequestSchema,
        response: {
          200: Type.Union([CompareResultSchema, MultiCompareResultSchema]),
          400: errorSchema,
          401: errorSchema,
        },
      },
    },
    async (request) => compareDocument(request.body),
  );
  const experiments = options.experiments;
  if (!experiments) return;
  app.get(
    '/api/experiments',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Every experiment',
        security,
        response: { 200: Type.Object({ items: Type.Array(ExperimentSchema) }) },
      },
    },
    async () => ({ items: await experiments.store.list() }),
  );
  // The body is checked by checkExperiment, so every refusal names its field the same way.
  app.put(
    '/api/experiments/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        summary: 'Create or replace an experiment',
        security,
        params: ExperimentIdParams,
        body: ExperimentBody,
        response: { 200: ExperimentSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      if (request.body.id !== request.params.id) {
        throw new RapportError('RAPPORT_EXPERIMENT_INVALID', 'id: must be the id in the path', {
          field: 'id',
        });
      }
      return experiments.save(request.body);
    },
  );
  app.get(
    '/api/experiments/:id',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'One experiment',
        security,
        params: ExperimentIdParams,
        response: { 200: ExperimentSchema, '4xx': errorSchema },
      },
    },
    async (request) => experiments.store.get(request.params.id),
  );
  app.delete(
    '/api/experiments/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        summary: 'Delete an experiment (its exposure events stay in the log)',
        security,
        params: ExperimentIdParams,
      },
    },
    async (request, reply) => {
      await experiments.remove(request.params.id);
      return reply.code(204).send();
    },
  );
  app.get(
    '/api/bandits/:placement',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary:
          "Thompson sampling over a placement's offers: each offer's chance to be best and the exploration share",
        security,
        params: PlacementParams,
        querystring: BanditQuery,
        response: { 200: BanditSchema, '4xx': errorSchema },
      },
    },
    async (request) => experiments.bandit(request.params.placement, request.query),
  );
  app.get(
    '/api/bandits/:placement/history',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary:
          "Day by day: each offer's share of a placement's impressions, and its chance to be best from the data up to that day",
        security,
        params: PlacementParams,
        querystring: BanditQuery,
        response: { 200: BanditHistorySchema, '4xx': errorSchema },
      },
    },
    async (request) => experiments.banditHistory(request.params.placement, request.query),
  );
  app.get(
    '/api/holdout/lift',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: "The programme's lift: conversion among the treated against the global holdout",
        security,
        querystring: ProgrammeLiftQuery,
        response: { 200: Type.Union([ProgrammeLiftSchema, Type.Null()]), '4xx': errorSchema },
      },
    },
    async (request) => experiments.programmeLift(request.query.event, request.query.days ?? 30),
  );
  app.get(
    '/api/experiments/:id/results',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Per arm and metric: value, difference, interval, p-value or chance to win, SRM, verdict',
        security,
        params: ExperimentIdParams,
        response: { 200: ExperimentResultsSchema, '4xx': errorSchema },
      },
    },
    async (request) => experiments.results(request.params.id),
  );
};

const publicRoutes: FastifyPluginAsyncTypebox<ExperimentRouteOptions> = async (app, options) => {
  const experiments = options.experiments;
  if (!experiments) return;
  app.post(
    '/v1/assign',
    {
      config: { access: 'public' },
      schema: {
        tags: ['experiments'],
        summary: "A person's arm of an experiment; logs Experiment Viewed once per person while it runs",
        security: [{ writeKey: [] }],
        body: AssignBody,
        response: {
          200: AssignAnswer,
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      await requireWriteKey(request, options.credentials);
      if (!request.body.userId && !request.body.anonymousId) {
        throw new RapportError('RAPPORT_EXPERIMENT_INVALID', 'userId: send a userId or an anonymousId', {
          field: 'userId',
        });
      }
      const outcome = await experiments.assign(request.body);
      reply.header('cache-control', 'no-store');
      return {
        experimentId: outcome.experiment.id,
        variationId: outcome.arm.id,
        variationName: outcome.arm.name,
        inExperiment: outcome.inExperiment,
        reason: outcome.inExperiment ? null : outcome.reason,
      };
    },
  );
};

export const experimentRoutes: FastifyPluginAsyncTypebox<ExperimentRouteOptions> = async (app, options) => {
  await app.register(adminRoutes, options);
  await app.register(publicRoutes, options);
};
