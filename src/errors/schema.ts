import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
// The body of every error response, as the routes declare it (OpenAPI and serialisation):
// the code from ERRORS, a sentence for a person, and whatever details the error carries.
// Typed as the two fields every error has, so a route's answer is checked against its 200
// schema rather than matching the error's open shape (the JSON Schema stays open).
export const errorSchema: Typed<{ error: string; message: string }> & {
  type: 'object';
  properties: { error: { type: 'string' }; message: { type: 'string' } };
  additionalProperties: true;
} = Type.Unsafe({
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  additionalProperties: true,
}) as never;

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
