// The template library's admin routes (docs/templates.md): list, create, edit (a new version),
// versions, duplicate, archive, delete, and a render and test send per channel. A render holds a
// person's data: it is answered with `cache-control: no-store` and never kept.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { strictBody } from '../api/strict-body.ts';
import { errorSchema } from '../errors/index.ts';
import {
  CreateTemplateSchema,
  DuplicateTemplateSchema,
  EditTemplateSchema,
  RenderedSchema,
  RenderSchema,
  StatusSchema,
  TemplateIdSchema,
  TemplateSchema,
  TestSendResultSchema,
  TestSendSchema,
  VersionSchema,
} from './schema.ts';
import type { TemplateService } from './service.ts';

export interface TemplateRouteOptions {
  templates: TemplateService;
}

const tags = ['templates'];
const security = [{ adminToken: [] }];
const ById = Type.Object({ id: TemplateIdSchema });

export const templateRoutes: FastifyPluginAsyncTypebox<TemplateRouteOptions> = async (app, options) => {
  const { templates } = options;
  const actorName = (request: { actor: { name: string } | null }) => request.actor?.name ?? null;

  app.get(
    '/api/templates',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'The template library: every template with its latest version and the journeys using it',
        response: { 200: Type.Object({ items: Type.Array(TemplateSchema) }) },
      },
    },
    async () => ({ items: await templates.list() }),
  );

  app.post(
    '/api/templates',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(CreateTemplateSchema),
      schema: {
        tags,
        security,
        summary: 'Create a template (its version 1); the content is checked against its channel',
        body: CreateTemplateSchema,
        response: { 201: TemplateSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await templates.create(request.body, actorName(request))),
  );

  app.get(
    '/api/templates/:id',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'One template: its latest version and the journeys using it',
        params: ById,
        response: { 200: TemplateSchema, '4xx': errorSchema },
      },
    },
    async (request) => templates.get(request.params.id),
  );

  app.put(
    '/api/templates/:id',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(EditTemplateSchema),
      schema: {
        tags,
        security,
        summary: 'Save an edit as the next version (409 when another edit was saved on the same version)',
        description:
          'Journeys already saved keep the version copied into them; a journey takes the new version when it is next saved (unless its send step pins a version).',
        params: ById,
        body: EditTemplateSchema,
        response: { 200: TemplateSchema, '4xx': errorSchema },
      },
    },
    async (request) => templates.edit(request.params.id, request.body, actorName(request)),
  );

  app.get(
    '/api/templates/:id/versions',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Every saved version of a template, newest first',
        params: ById,
        response: { 200: Type.Object({ items: Type.Array(VersionSchema) }), '4xx': errorSchema },
      },
    },
    async (request) => ({ items: await templates.versions(request.params.id) }),
  );

  app.get(
    '/api/templates/:id/versions/:version',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'One saved version of a template',
        params: Type.Object({ id: TemplateIdSchema, version: Type.Integer({ minimum: 1 }) }),
        response: { 200: VersionSchema, '4xx': errorSchema },
      },
    },
    async (request) => templates.version(request.params.id, request.params.version),
  );

  app.post(
    '/api/templates/:id/duplicate',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(DuplicateTemplateSchema),
      schema: {
        tags,
        security,
        summary: 'A new template with the latest content of this one',
        params: ById,
        body: DuplicateTemplateSchema,
        response: { 201: TemplateSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await templates.duplicate(request.params.id, request.body.name, actorName(request))),
  );

  app.put(
    '/api/templates/:id/status',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(StatusSchema),
      schema: {
        tags,
        security,
        summary: 'Archive a template (refused while a journey names it) or restore it',
        params: ById,
        body: StatusSchema,
        response: { 200: TemplateSchema, '4xx': errorSchema },
      },
    },
    async (request) => templates.setStatus(request.params.id, request.body.status),
  );

  app.delete(
    '/api/templates/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Delete a template and its versions (refused, 409, while a journey names it)',
        params: ById,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await templates.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/templates/render',
    {
      config: { access: 'read' },
      validatorCompiler: strictBody(RenderSchema),
      schema: {
        tags,
        security,
        summary:
          'Render email, SMS or push content for a person (or sample traits) exactly as a send renders it; SMS with its encoding and segments',
        body: RenderSchema,
        response: { 200: RenderedSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const rendered = await templates.render(request.body);
      // A person's data: neither the browser nor a proxy keeps it.
      return reply.header('cache-control', 'no-store').send(rendered);
    },
  );

  app.post(
    '/api/templates/send-test',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(TestSendSchema),
      schema: {
        tags,
        security,
        summary:
          'Render content (for a person, or empty values) and send it once on its channel to the address typed',
        description:
          'No journey, arbitration or consent applies: it goes to the address typed, not to the person. Logged in /api/decisions with code test_send. 409 when the channel is not configured.',
        body: TestSendSchema,
        response: { 200: TestSendResultSchema, '4xx': errorSchema },
      },
    },
    async (request) => templates.testSend(request.body),
  );
};
