// The admin REST API: profiles (src/profiles/routes.ts), dead letters and write keys. Handlers call
// the capability doors; none touches a driver.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  type CredentialCache,
  CredentialListSchema,
  createCredential,
  NewCredentialSchema,
} from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import { DeadLetterPageSchema } from '../ingest/index.ts';
import { type ProfileApiOptions, profileRoutes } from '../profiles/index.ts';
import type { EventReader, StateStore } from '../store/index.ts';

export interface ApiOptions {
  state: StateStore;
  /** The pipeline as the profile routes use it: the events it reads, and a wake after an erasure. */
  pipeline: EventReader & { wake(): void };
  credentials: CredentialCache;
  profiles: Omit<ProfileApiOptions, 'state' | 'pipeline'>;
}

export const adminRoutes: FastifyPluginAsyncTypebox<ApiOptions> = async (app, options) => {
  const { state, pipeline, credentials } = options;
  const security = [{ adminToken: [] }];

  await profileRoutes(app, { state, pipeline, ...options.profiles });

  app.get(
    '/api/dead-letters',
    {
      config: { access: 'read' },
      schema: {
        tags: ['ingest'],
        summary: 'Rejected messages with their reasons, newest first',
        security,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          before: Type.Optional(Type.Integer()),
        }),
        response: { 200: DeadLetterPageSchema },
      },
    },
    async (request) => {
      const { limit, before } = request.query;
      const items = await state.log.listDeadLetters({
        limit: limit ?? 50,
        ...(before ? { beforeId: before } : {}),
      });
      return { total: await state.log.countDeadLetters(), items };
    },
  );

  app.get(
    '/api/write-keys',
    {
      config: { access: 'read' },
      schema: {
        tags: ['settings'],
        summary: 'Write keys (without their secrets)',
        security,
        response: { 200: CredentialListSchema },
      },
    },
    async () => state.listCredentials('write'),
  );

  app.post(
    '/api/write-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Create a write key; its secret is in this response only',
        security,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 201: NewCredentialSchema },
      },
    },
    async (request, reply) => {
      const { name } = request.body;
      const created = await createCredential(state, 'write', name);
      return reply.code(201).send({ ...created.credential, secret: created.secret });
    },
  );

  app.delete(
    '/api/write-keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Revoke a write key',
        security,
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Only a write key: an admin token's id here must not revoke it (that has its own
      // route, with its own refusals: docs/configuration.md).
      const isWriteKey = (await state.listCredentials('write')).some((key) => key.id === id);
      const revoked = isWriteKey && (await state.revokeCredential(id, new Date().toISOString()));
      if (!revoked) throw new RapportError('RAPPORT_API_NOT_FOUND', `no live write key ${id}`);
      credentials.invalidate();
      return reply.code(204).send(null);
    },
  );
};
