// Admin routes of the delivery side (behind an admin token): the task queue people work, a
// person's channel preference, and the webhook signing key receivers verify with.
import type { FastifyInstance } from 'fastify';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import type { TaskStatus } from '../store/index.ts';
import type { ChannelRuntime } from './runtime.ts';

export interface ChannelAdminRouteOptions {
  channels: ChannelRuntime;
  credentials: CredentialCache;
}

const security = [{ adminToken: [] }];
const nullable = (type: string) => ({ type: [type, 'null'] }) as const;
const taskSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    idempotencyKey: { type: 'string' },
    profileId: { type: 'string' },
    queue: { type: 'string' },
    title: { type: 'string' },
    note: nullable('string'),
    status: { type: 'string', enum: ['open', 'claimed', 'completed'] },
    journeyId: nullable('string'),
    stepId: nullable('string'),
    createdAt: { type: 'string' },
    dueAt: nullable('string'),
    claimedBy: nullable('string'),
    claimedAt: nullable('string'),
    completedBy: nullable('string'),
    completedAt: nullable('string'),
    outcome: nullable('string'),
  },
} as const;
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const person = { type: 'string', minLength: 1, maxLength: 200 } as const;

export async function channelAdminRoutes(
  app: FastifyInstance,
  options: ChannelAdminRouteOptions,
): Promise<void> {
  const { channels } = options;

  app.get(
    '/api/tasks',
    {
      config: { access: 'read' },
      schema: {
        tags: ['tasks'],
        summary: 'Tasks on a queue, oldest first',
        security,
        querystring: {
          type: 'object',
          properties: {
            queue: { type: 'string' },
            status: { type: 'string', enum: ['open', 'claimed', 'completed'] },
            after: { type: 'string', description: 'Cursor: the last task id of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: taskSchema } } } },
      },
    },
    async (request) => {
      const query = request.query as { queue?: string; status?: TaskStatus; after?: string; limit?: number };
      const items = await channels.tasks.list({
        limit: query.limit ?? 50,
        ...(query.queue !== undefined ? { queue: query.queue } : {}),
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.after !== undefined ? { afterId: query.after } : {}),
      });
      return { items };
    },
  );

  app.get(
    '/api/tasks/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['tasks'],
        summary: 'One task',
        security,
        params: idParams,
        response: { 200: taskSchema, '4xx': errorSchema },
      },
    },
    async (request) => channels.tasks.get((request.params as { id: string }).id),
  );

  app.post(
    '/api/tasks/:id/claim',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Claim an open task (409 when someone else has it)',
        security,
        params: idParams,
        body: { type: 'object', properties: { by: person }, required: ['by'] },
        response: { 200: taskSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { by } = request.body as { by: string };
      return channels.tasks.claim((request.params as { id: string }).id, by);
    },
  );

  app.post(
    '/api/tasks/:id/complete',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Complete a task with an outcome; the outcome becomes a Task Completed event',
        security,
        params: idParams,
        body: {
          type: 'object',
          properties: { outcome: { type: 'string', minLength: 1, maxLength: 200 }, by: person },
          required: ['outcome', 'by'],
        },
        response: { 200: taskSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { outcome, by } = request.body as { outcome: string; by: string };
      return channels.tasks.complete((request.params as { id: string }).id, outcome, by);
    },
  );

  app.get(
    '/api/profiles/:id/channels',
    {
      config: { access: 'read' },
      schema: {
        tags: ['profiles'],
        summary: 'Which channel this person engages with ("prefers sms: 12 of 15 opened")',
        security,
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              profileId: { type: 'string' },
              best: {
                type: ['object', 'null'],
                properties: { channel: { type: 'string' }, explanation: { type: 'string' } },
              },
              estimates: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    channel: { type: 'string' },
                    rate: { type: 'number' },
                    sent: { type: 'integer' },
                    engaged: { type: 'integer' },
                    consented: { type: 'boolean' },
                    explanation: { type: 'string' },
                  },
                },
              },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => channels.preferenceOf((request.params as { id: string }).id),
  );

  app.get(
    '/api/channels/webhook-signing-key',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'The key webhook receivers verify X-Rapport-Signature with',
        security,
        response: {
          200: { type: 'object', properties: { key: { type: 'string' }, algorithm: { type: 'string' } } },
        },
      },
    },
    async () => ({
      key: channels.signer.webhookKey,
      algorithm: 'HMAC-SHA256 over "<X-Rapport-Timestamp>.<body>"',
    }),
  );
}
