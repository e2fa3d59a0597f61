import { type Static, type TSchema, Type } from '@sinclair/typebox';
// The body of every error response, as the routes declare it (OpenAPI and serialisation):
// the code from ERRORS, a sentence for a person, and whatever details the error carries.
export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  additionalProperties: true,
} as const;

/**
 * A value or null, written as JSON Schema's `type: [T, 'null']` rather than TypeBox's `anyOf`:
 * Fastify's validator coerces types, and under `anyOf` it would turn a null into "" (or 0)
 * through the first branch before the null branch is tried.
 */
export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}
