// The email sandbox (docs/channels.md, "The email sandbox"): an email channel that builds each
// message exactly as it would send it and keeps it in Rapport instead, for a demo or a staging
// install. Switched on by an admin (`rapport demo` does it when no email channel exists), never
// when an SMTP relay is configured, and shown as such on the Settings and Messages pages. The
// captures are read here; the erasure job removes a person's, the profile export includes them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorSchema, RapportError } from '../errors/index.ts';
import type { CapturedEmail } from '../store/index.ts';
import type { ChannelRuntime } from './runtime.ts';
import { CapturedEmailDetail, CapturedEmailSummary } from './schema.ts';

export interface SandboxRouteOptions {
  channels: ChannelRuntime;
}

const security = [{ adminToken: [] }];

const sandboxState = Type.Object({
  sandbox: Type.Boolean({ description: 'true: email is kept in Rapport and sent to no inbox' }),
  destination: Type.Optional(Type.String()),
});

function summary(email: CapturedEmail) {
  const { text: _text, html: _html, ...rest } = email;
  return rest;
}

export const sandboxRoutes: FastifyPluginAsyncTypebox<SandboxRouteOptions> = async (app, options) => {
  const { channels } = options;
  const state = () => ({
    sandbox: channels.emailSandbox,
    ...(channels.emailSandbox ? { destination: channels.get('email')?.describe?.().destination } : {}),
  });

  app.put(
    '/api/channels/email/sandbox',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Switch the email sandbox on: emails are kept in Rapport and sent to no inbox',
        description:
          'Remembered across restarts. 409 when an SMTP relay (RAPPORT_SMTP_URL) or another email channel is configured: the sandbox never replaces a real channel.',
        security,
        response: { 200: sandboxState, '4xx': errorSchema },
      },
    },
    async () => {
      await channels.enableEmailSandbox();
      return state();
    },
  );

  app.delete(
    '/api/channels/email/sandbox',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Switch the email sandbox off (the captured emails are kept)',
        security,
        response: { 200: sandboxState, '4xx': errorSchema },
      },
    },
    async () => {
      await channels.disableEmailSandbox();
      return state();
    },
  );

  app.get(
    '/api/sandbox/emails',
    {
      config: { access: 'read' },
      schema: {
        tags: ['settings'],
        summary: 'The emails the sandbox kept instead of sending, newest first',
        security,
        querystring: Type.Object({
          profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          journeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          before: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 500,
              description: 'Cursor: the last id of the previous page',
            }),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 25 })),
        }),
        response: {
          200: Type.Object({
            sandbox: Type.Boolean({ description: 'whether the email channel is the sandbox now' }),
            items: Type.Array(CapturedEmailSummary),
          }),
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const { profileId, journeyId, before, limit } = request.query;
      const items = await channels.store.listCapturedEmails({
        ...(profileId !== undefined ? { profileId } : {}),
        ...(journeyId !== undefined ? { journeyId } : {}),
        ...(before !== undefined ? { beforeId: before } : {}),
        limit: limit ?? 25,
      });
      return { sandbox: channels.emailSandbox, items: items.map(summary) };
    },
  );

  app.get(
    '/api/sandbox/emails/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['settings'],
        summary: 'One email the sandbox kept, with its text and HTML parts as they would be sent',
        security,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 500 }) }),
        response: { 200: CapturedEmailDetail, '4xx': errorSchema },
      },
    },
    async (request) => {
      const email = await channels.store.getCapturedEmail(request.params.id);
      if (!email)
        throw new RapportError('RAPPORT_API_NOT_FOUND', `no captured email ${request.params.id}`, {
          field: 'id',
        });
      return email;
    },
  );
};
