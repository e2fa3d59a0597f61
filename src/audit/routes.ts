// The assumption audit's API: beliefs listed with their verdicts and flips, written as claims
// (closed TypeBox bodies: an unknown field is a 400 naming it), tested at once when saved and
// again on demand.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';
import { errorSchema, RapportError } from '../errors/index.ts';
import { BEHAVIOUR_FEATURES } from '../personas/index.ts';
import { UnknownNameError } from './evidence.ts';
import { type AuditService, BeliefNotFoundError } from './service.ts';

export interface AuditRouteOptions {
  audit: AuditService;
}

const Name = Type.String({ minLength: 1, maxLength: 255 });

const eventRef = {
  event: Name,
  property: Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'only events with this property…' }),
  ),
  value: Type.Optional(Type.String({ maxLength: 1000, description: '…equal to this value (as text)' })),
};
const EventRef = Type.Object(eventRef, { additionalProperties: false });

export const ConditionSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('trait'),
      trait: Name,
      op: Type.Union([
        Type.Literal('equals'),
        Type.Literal('not_equals'),
        Type.Literal('at_least'),
        Type.Literal('at_most'),
        Type.Literal('is_set'),
      ]),
      value: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Number()])),
    },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('persona'), persona: Name }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('event'),
      ...eventRef,
      minCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('followed_by'),
      first: EventRef,
      next: EventRef,
      withinDays: Type.Number({ exclusiveMinimum: 0, maximum: 3650 }),
    },
    { additionalProperties: false },
  ),
]);

const Among = Type.Array(ConditionSchema, {
  maxItems: 10,
  description: 'who the belief is about; empty: everyone',
});

export const ClaimSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('share'),
      among: Among,
      have: ConditionSchema,
      direction: Type.Union([Type.Literal('at_least'), Type.Literal('at_most')]),
      share: Type.Number({ minimum: 0, maximum: 1 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('difference'),
      among: Among,
      group: ConditionSchema,
      outcome: ConditionSchema,
      direction: Type.Union([Type.Literal('more'), Type.Literal('less')]),
      margin: Type.Number({ minimum: 0, maximum: 1, description: 'in shares: 0.05 is five points' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('preferred_channel'),
      among: Among,
      channel: Type.Union([
        Type.Literal('email'),
        Type.Literal('sms'),
        Type.Literal('push'),
        Type.Literal('webhook'),
      ]),
      by: Type.Union([Type.Literal('engagement'), Type.Literal('conversion')]),
      conversion: Type.Optional(EventRef),
    },
    { additionalProperties: false, description: 'the channel people engage with (or buy after) most' },
  ),
  Type.Object(
    { kind: Type.Literal('most_valuable_persona'), among: Among, persona: Name },
    { additionalProperties: false, description: 'the persona with the most revenue per person' },
  ),
]);

export const BeliefBodySchema = Type.Object(
  { statement: Type.String({ minLength: 1, maxLength: 500 }), claim: ClaimSchema },
  { additionalProperties: false },
);

const Verdict = Type.Union([
  Type.Literal('supported'),
  Type.Literal('contradicted'),
  Type.Literal('not_enough_data'),
]);
const GroupCount = Type.Object({ people: Type.Integer(), withOutcome: Type.Integer() });

const TestResultSchema = Type.Object({
  verdict: Verdict,
  estimate: Type.Union([Type.Number(), Type.Null()], { description: 'null when nobody is in the data yet' }),
  low: Type.Number(),
  high: Type.Number(),
  threshold: Type.Number(),
  people: Type.Integer(),
  having: Type.Optional(Type.Integer()),
  group: Type.Optional(GroupCount),
  rest: Type.Optional(GroupCount),
  rivals: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String(),
        people: Type.Integer(),
        value: Type.Union([Type.Number(), Type.Null()]),
        low: Type.Union([Type.Number(), Type.Null()]),
        high: Type.Union([Type.Number(), Type.Null()]),
      }),
    ),
  ),
  rival: Type.Optional(Type.String({ description: 'the closest rival the estimate compares with' })),
  peopleToSettle: Type.Optional(Type.Integer()),
  evidence: Type.String(),
  testedAt: Type.String(),
});

const FlipSchema = Type.Object({
  at: Type.String(),
  from: Verdict,
  to: Verdict,
  estimate: Type.Union([Type.Number(), Type.Null()]),
  people: Type.Integer(),
});

export const BeliefSchema = Type.Object({
  id: Type.String(),
  statement: Type.String(),
  claim: ClaimSchema,
  createdAt: Type.String(),
  result: Type.Optional(TestResultSchema),
  flips: Type.Array(FlipSchema),
});

const FlipOfSchema = Type.Composite([
  FlipSchema,
  Type.Object({ beliefId: Type.String(), statement: Type.String() }),
]);

const SelfBodySchema = Type.Object(
  {
    values: Type.Record(Type.String({ maxLength: 64 }), Type.Number({ minimum: 0, maximum: 1e12 }), {
      description:
        'feature name (recency_days, orders, revenue, views, email_engagement, active_days) → your value',
    }),
  },
  { additionalProperties: false },
);

const SelfComparisonSchema = Type.Object({
  people: Type.Integer(),
  features: Type.Array(
    Type.Object({
      name: Type.String(),
      label: Type.String(),
      yours: Type.Number(),
      median: Type.Number(),
      below: Type.Number(),
      equal: Type.Number(),
      sd: Type.Number(),
    }),
  ),
  distance: Type.Number(),
  fartherThan: Type.Number(),
});

export type BeliefBody = Static<typeof BeliefBodySchema>;

const tags = ['audit'];
const security = [{ adminToken: [] }];
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The first thing wrong with `value`. A claim and a condition are unions told apart by `kind`:
 * TypeBox only says "expected union value", so the member with the same kind is checked instead,
 * to name the field that is wrong (claim.share, claim.have.withinDays).
 */
function firstError(
  schema: TSchema,
  value: unknown,
  prefix = '',
): { field: string; message: string } | undefined {
  const error = [...Value.Errors(schema, value)][0];
  if (!error) return undefined;
  const path = prefix + error.path;
  const kind = (error.value as { kind?: unknown } | null)?.kind;
  const members = (error.schema as { anyOf?: TSchema[] }).anyOf;
  const member = members?.find(
    (m) => (m as { properties?: { kind?: { const?: unknown } } }).properties?.kind?.const === kind,
  );
  if (member) return firstError(member, error.value, path);
  const field = path.replace(/^\//, '').replaceAll('/', '.') || 'body';
  if (error.type === ValueErrorType.ObjectAdditionalProperties)
    return { field, message: `unknown field ${field}: not part of this request (docs list what it takes)` };
  return { field, message: `${field}: ${error.message}` };
}

/** A closed body (an unknown field is refused, naming it), and the path's `:id`. */
function closedBody(body: TSchema): FastifySchemaCompiler<unknown> {
  return (route) => {
    const schema = route.httpPart === 'body' ? body : (route.schema as TSchema);
    const check = TypeCompiler.Compile(schema);
    return (value) => {
      if (check.Check(value)) return { value };
      const error = firstError(schema, value) ?? { field: route.httpPart ?? 'body', message: 'invalid' };
      return { error: new RapportError('RAPPORT_API_BAD_REQUEST', error.message, { field: error.field }) };
    };
  };
}

/** JSON has no NaN: an estimate over nobody goes out as null. */
function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));
}

function translate(error: unknown): never {
  if (error instanceof UnknownNameError)
    throw new RapportError('RAPPORT_BELIEFS_UNKNOWN_NAME', error.message, { field: `claim.${error.field}` });
  if (error instanceof BeliefNotFoundError)
    throw new RapportError('RAPPORT_BELIEFS_NOT_FOUND', error.message);
  throw error;
}

export const auditRoutes: FastifyPluginAsyncTypebox<AuditRouteOptions> = async (app, options) => {
  const { audit } = options;
  app.get(
    '/api/beliefs',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Every belief with its last verdict and flips, and all flips newest first',
        response: {
          200: Type.Object({ beliefs: Type.Array(BeliefSchema), flips: Type.Array(FlipOfSchema) }),
        },
      },
    },
    async () => wire(await audit.list()),
  );
  app.get(
    '/api/beliefs/vocabulary',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'What a claim can name: every event received, and the traits on the first 5,000 profiles',
        response: {
          200: Type.Object({ events: Type.Array(Type.String()), traits: Type.Array(Type.String()) }),
        },
      },
    },
    async () => audit.vocabulary(),
  );
  app.post(
    '/api/beliefs/self',
    {
      config: { access: 'read' },
      validatorCompiler: closedBody(SelfBodySchema),
      schema: {
        tags,
        security,
        summary: 'My own persona: where a description of yourself as a customer sits among the real ones',
        body: SelfBodySchema,
        response: { 200: SelfComparisonSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const known = new Set(BEHAVIOUR_FEATURES.map((f) => f.name));
      const unknown = Object.keys(request.body.values).find((name) => !known.has(name));
      if (unknown !== undefined)
        throw new RapportError(
          'RAPPORT_API_BAD_REQUEST',
          `values.${unknown}: not a feature (${[...known].join(', ')})`,
          {
            field: `values.${unknown}`,
          },
        );
      return audit.compareSelf(request.body.values);
    },
  );
  app.post(
    '/api/beliefs',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: closedBody(BeliefBodySchema),
      schema: {
        tags,
        security,
        summary: 'Write a belief as a claim; it is tested at once',
        body: BeliefBodySchema,
        response: { 200: BeliefSchema, '4xx': errorSchema },
      },
    },
    async (request) =>
      wire(
        await audit.save({ statement: request.body.statement, claim: request.body.claim }).catch(translate),
      ),
  );
  app.put(
    '/api/beliefs/:id',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: closedBody(BeliefBodySchema),
      schema: {
        tags,
        security,
        summary: 'Rewrite a belief; it is tested again and its flips start over',
        params: IdParams,
        body: BeliefBodySchema,
        response: { 200: BeliefSchema, '4xx': errorSchema },
      },
    },
    async (request) =>
      wire(
        await audit
          .save({ statement: request.body.statement, claim: request.body.claim }, request.params.id)
          .catch(translate),
      ),
  );
  app.delete(
    '/api/beliefs/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Forget a belief',
        params: IdParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await audit.remove(request.params.id).catch(translate);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/beliefs/test',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Test every belief again on the data as it is now; answers the flips this made',
        response: {
          200: Type.Object({ beliefs: Type.Array(BeliefSchema), flipped: Type.Array(FlipOfSchema) }),
          '4xx': errorSchema,
        },
      },
    },
    async () => wire(await audit.testAll().catch(translate)),
  );
};
