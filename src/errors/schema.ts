import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
// The body of every error response, as the routes declare it (OpenAPI and serialisation):
// the code from ERRORS, a sentence for a person, the problems of a refused document when there
// are several, and whatever other details the error carries (the JSON Schema stays open).

/**
 * One problem of a refused document, as the capability that refused it words it: a sentence
 * (the loyalty programme, placements) or an object locating it (a segment rule's `path`, a
 * journey's `stepId` and `field`, the arbitration policy's `field`).
 */
export const ErrorIssueSchema = Type.Union([
  Type.String(),
  Type.Object(
    {
      message: Type.String(),
      path: Type.Optional(Type.String({ description: 'JSON pointer into a segment rule or funnel' })),
      field: Type.Optional(Type.String({ description: 'JSON pointer into a journey or policy document' })),
      code: Type.Optional(Type.String()),
      stepId: Type.Optional(Type.String()),
      line: Type.Optional(Type.Integer({ description: 'in a rule written as text, 1-based' })),
      column: Type.Optional(Type.Integer()),
      snippet: Type.Optional(Type.String({ description: 'the source line with a caret under the column' })),
    },
    { additionalProperties: true },
  ),
]);
export type ErrorIssue = Static<typeof ErrorIssueSchema>;

export const ApiErrorBodySchema = Type.Object(
  {
    error: Type.String({ description: 'the code (src/errors: ERRORS)' }),
    message: Type.String(),
    issues: Type.Optional(Type.Array(ErrorIssueSchema)),
  },
  { additionalProperties: true },
);
export type ApiErrorBody = Static<typeof ApiErrorBodySchema>;

/**
 * ApiErrorBodySchema as the routes' 4xx answer. Typed as the fields every error has (and its
 * issues), so a route's answer is checked against its 200 schema rather than matching the
 * error's open shape.
 */
export const errorSchema: Typed<{ error: string; message: string; issues?: ErrorIssue[] }> &
  typeof ApiErrorBodySchema = ApiErrorBodySchema as never;

/**
 * A value or null, written as JSON Schema's `type: [T, 'null']` rather than TypeBox's `anyOf`:
 * Fastify's validator coerces types, and under `anyOf` it would turn a null into "" (or 0)
 * through the first branch before the null branch is tried.
 */
export function Nullable<T extends TSchema & { type: string }>(
  schema: T,
): Typed<Static<T> | null> & { type: [T['type'], 'null'] } {
  return Type.Unsafe({ ...schema, type: [schema.type, 'null'] }) as Typed<Static<T> | null> & {
    type: [T['type'], 'null'];
  };
}

/** One of a list of strings, as `{ type: 'string', enum }` (the OpenAPI form) typed as the union. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): Typed<T[number]> & { type: 'string'; enum: T } {
  return Type.Unsafe({ ...options, type: 'string', enum: [...values] }) as Typed<T[number]> & {
    type: 'string';
    enum: T;
  };
}

/**
 * An unsafe schema typed for both TypeBox versions in play: this one (0.34, `static`) and the
 * 1.x that @fastify/type-provider-typebox infers handler types with (`~unsafe` at the top; the
 * JSON Schema shape, added by each helper, inside this version's objects). Type-level only.
 */
export type Typed<T> = TUnsafe<T> & { '~unsafe': T };
