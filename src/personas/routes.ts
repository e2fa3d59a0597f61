// POST /api/personas/fit and GET /api/personas (admin). Schemas are TypeBox through the type
// provider: one source for validation, the OpenAPI document and the types.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { strictBody } from '../api/strict-body.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import { UnknownTraitError } from './features.ts';
import { type PersonaService, PersonaTooFewPeopleError } from './service.ts';

export interface PersonaRouteOptions {
  personas: PersonaService;
}

const StandOut = Type.Object({
  feature: Type.String(),
  label: Type.String(),
  direction: Type.Union([Type.Literal('higher'), Type.Literal('lower')]),
  sd: Type.Number({ description: "the persona's mean minus the population's, in standard deviations" }),
  mean: Type.Number(),
  populationMean: Type.Number(),
});

export const PersonaCardSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  size: Type.Integer(),
  share: Type.Number(),
  standsOut: Type.Array(StandOut),
  description: Type.String(),
  means: Type.Record(Type.String(), Type.Number()),
  centroid: Type.Array(Type.Number()),
  typicalJourney: Type.Optional(
    Type.Object(
      { steps: Type.Array(Type.String()), share: Type.Number() },
      { description: 'first three kinds of tracked event, in order' },
    ),
  ),
  preferredChannel: Type.Optional(Type.Object({ channel: Type.String(), share: Type.Number() })),
});

export const PersonaFitSchema = Type.Object({
  k: Type.Integer(),
  inertia: Type.Number(),
  silhouette: Type.Number(),
  sizes: Type.Array(Type.Integer()),
  scaled: Type.Boolean(),
  features: Type.Array(Type.Object({ name: Type.String(), label: Type.String() })),
  people: Type.Integer(),
  tried: Type.Array(Type.Object({ k: Type.Integer(), silhouette: Type.Number(), inertia: Type.Number() })),
  personas: Type.Array(PersonaCardSchema),
  fittedAt: Type.String(),
});

export const FitBodySchema = Type.Object(
  {
    traits: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
        maxItems: 20,
        description: 'numeric traits to cluster on beside behaviour',
      }),
    ),
    k: Type.Optional(
      Type.Integer({ minimum: 2, maximum: 12, description: 'fixed k; default: chosen by silhouette' }),
    ),
    scale: Type.Optional(Type.Boolean({ default: true, description: 'standardise the features first' })),
  },
  { additionalProperties: false },
);

const tags = ['personas'];
const security = [{ adminToken: [] }];

export const personaRoutes: FastifyPluginAsyncTypebox<PersonaRouteOptions> = async (app, options) => {
  app.get(
    '/api/personas',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'The last persona fit: k, inertia, silhouette and a card per persona',
        response: { 200: PersonaFitSchema, '4xx': errorSchema },
      },
    },
    async () => {
      const fit = await options.personas.latest();
      if (!fit) throw new RapportError('RAPPORT_PERSONAS_NOT_FITTED', 'no personas yet: fit them first');
      return fit;
    },
  );
  app.post(
    '/api/personas/fit',
    {
      config: { access: 'marketing:write' },
      // An unknown field is a 400 naming it, not silently dropped.
      validatorCompiler: strictBody(FitBodySchema),
      schema: {
        tags,
        security,
        summary: 'Cluster the people in the store into personas (k-means, k by silhouette unless given)',
        body: FitBodySchema,
        response: { 200: PersonaFitSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      try {
        return await options.personas.fit(request.body);
      } catch (error) {
        if (error instanceof UnknownTraitError) {
          throw new RapportError('RAPPORT_PERSONAS_UNKNOWN_TRAIT', error.message, { field: 'traits' });
        }
        if (error instanceof PersonaTooFewPeopleError) {
          throw new RapportError('RAPPORT_PERSONAS_TOO_FEW_PEOPLE', error.message, { field: 'k' });
        }
        throw error;
      }
    },
  );
};
