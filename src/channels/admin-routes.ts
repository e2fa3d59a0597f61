// Admin routes of the delivery side (behind an admin token): the task queue people work, a
// person's channel preference, and the webhook signing key receivers verify with.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import type { ChannelRuntime } from './runtime.ts';
import {
  ChannelPreferences,
  IdParams,
  Task,
  TaskClaim,
  TaskCompletion,
  TaskList,
  TaskListQuery,
  WebhookSigningKey,
} from './schema.ts';

export interface ChannelAdminRouteOptions {
  channels: ChannelRuntime;
  credentials: CredentialCache;
}

const security = [{ adminToken: [] }];

export const channelAdminRoutes: FastifyPluginAsyncTypebox<ChannelAdminRouteOptions> = async (
  app,
  options,
) => {
  const { channels } = options;

  app.get(
    '/api/tasks',
    {
      config: { access: 'read' },
      schema: {
        tags: ['tasks'],
        summary: 'Tasks on a queue, oldest first',
        security,
        querystring: TaskListQuery,
        response: { 200: TaskList },
      },
    },
    async (request) => {
      const query = request.query;
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
        params: IdParams,
        response: { 200: Task, '4xx': errorSchema },
      },
    },
    async (request) => channels.tasks.get(request.params.id),
  );

  app.post(
    '/api/tasks/:id/claim',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Claim an open task (409 when someone else has it)',
        security,
        params: IdParams,
        body: TaskClaim,
        response: { 200: Task, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { by } = request.body;
      return channels.tasks.claim(request.params.id, by);
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
        params: IdParams,
        body: TaskCompletion,
        response: { 200: Task, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { outcome, by } = request.body;
      return channels.tasks.complete(request.params.id, outcome, by);
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
        params: IdParams,
        response: {
          200: ChannelPreferences,
          '4xx': errorSchema,
        },
      },
    },
    async (request) => channels.preferenceOf(request.params.id),
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
          200: WebhookSigningKey,
        },
      },
    },
    async () => ({
      key: channels.signer.webhookKey,
      algorithm: 'HMAC-SHA256 over "<X-Rapport-Timestamp>.<body>"',
    }),
  );
};
