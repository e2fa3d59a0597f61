// Adding, describing and retiring consent purposes (docs/privacy.md); the list is read with
// GET /api/consent-purposes beside the channels that need each (channels' settings routes).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { strictBody } from '../api/strict-body.ts';
import { errorSchema, Nullable } from '../errors/index.ts';
import type { PurposeCatalog } from './purposes.ts';

export interface PurposeRouteOptions {
  purposes: PurposeCatalog;
}

const tags = ['privacy'];
const security = [{ adminToken: [] }];
const Description = Type.String({ maxLength: 500, description: 'What people agree to, in their words' });
const AddPurposeSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'A letter, then letters, digits, _ or - (marketing_sms)',
    }),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);
const DescribeSchema = Type.Object({ description: Description }, { additionalProperties: false });
const EntrySchema = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  source: Type.String({ description: 'configuration (RAPPORT_CONSENT_PURPOSES) or api' }),
  addedAt: Type.String(),
  retiredAt: Nullable(Type.String()),
});
const ByName = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

export const purposeRoutes: FastifyPluginAsyncTypebox<PurposeRouteOptions> = async (app, options) => {
  const { purposes } = options;
  app.post(
    '/api/consent-purposes',
    {
      config: { access: 'privacy:write' },
      validatorCompiler: strictBody(AddPurposeSchema),
      schema: {
        tags,
        security,
        summary: 'Add a consent purpose people may grant or deny (a retired one comes back)',
        body: AddPurposeSchema,
        response: { 201: EntrySchema, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await purposes.add(request.body.name, request.body.description?.trim() || null)),
  );
  app.put(
    '/api/consent-purposes/:name',
    {
      config: { access: 'privacy:write' },
      validatorCompiler: strictBody(DescribeSchema),
      schema: {
        tags,
        security,
        summary: 'Describe a consent purpose',
        params: ByName,
        body: DescribeSchema,
        response: { 200: EntrySchema, '4xx': errorSchema },
      },
    },
    async (request) => purposes.describe(request.params.name, request.body.description.trim() || null),
  );
  app.post(
    '/api/consent-purposes/:name/retire',
    {
      config: { access: 'privacy:write' },
      schema: {
        tags,
        security,
        summary:
          'Retire a consent purpose: no longer offered or accepted (refused, 409, while a journey sends under it or a channel opts in with it)',
        params: ByName,
        response: { 200: EntrySchema, '4xx': errorSchema },
      },
    },
    async (request) => purposes.retire(request.params.name),
  );
};
