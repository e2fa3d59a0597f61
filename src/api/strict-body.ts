// A body validator that refuses what it does not know. Fastify's default validator removes
// properties a schema does not list (`removeAdditional`), so a field a client believes it sent
// (an `html` template, say) would vanish without a word. Routes whose TypeBox schema is closed
// use this instead: an unknown field is a 400 naming it, like every other mistake.
import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';
import { RapportError } from '../errors/index.ts';

/** `/template/subject` → `template.subject`: the dotted name the rest of the API uses. */
function fieldOf(path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.') || 'body';
}

/**
 * A route's path parameters or query string, checked against their own schema. Both arrive as
 * text, so values are converted first (`"2"` for an integer), as Fastify's default validator
 * coerces them.
 */
function partValidator(schema: TSchema) {
  if (!(Kind in schema)) {
    throw new Error('a route validated with strictBody declares its params and querystring with TypeBox too');
  }
  const check = TypeCompiler.Compile(schema);
  return (value: unknown) => {
    const converted = Value.Convert(schema, value);
    if (check.Check(converted)) return { value: converted };
    const first = [...check.Errors(converted)][0];
    const field = fieldOf(first?.path ?? '');
    return {
      error: new RapportError('RAPPORT_API_BAD_REQUEST', `${field}: ${first?.message ?? 'invalid'}`, {
        field,
      }),
    };
  };
}

/**
 * The route-level `validatorCompiler` for a closed TypeBox body schema. Fastify asks the same
 * compiler for every part a route declares; the body gets the closed schema, the path
 * parameters and query string their own.
 */
export function strictBody(schema: TSchema): FastifySchemaCompiler<unknown> {
  const check = TypeCompiler.Compile(schema);
  return ({ httpPart, schema: partSchema }) => {
    if (httpPart !== undefined && httpPart !== 'body') return partValidator(partSchema as TSchema);
    return bodyValidator(check);
  };
}

function bodyValidator(check: ReturnType<typeof TypeCompiler.Compile>) {
  return (value: unknown) => {
    if (check.Check(value)) return { value };
    const errors = [...check.Errors(value)];
    const unknown = errors.filter((e) => e.type === ValueErrorType.ObjectAdditionalProperties);
    if (unknown.length > 0) {
      const fields = [...new Set(unknown.map((e) => fieldOf(e.path)))];
      return {
        error: new RapportError(
          'RAPPORT_API_BAD_REQUEST',
          `unknown field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}: not part of this request (docs list what it takes)`,
          { field: fields[0], fields },
        ),
      };
    }
    const first = errors[0];
    const field = fieldOf(first?.path ?? '');
    return {
      error: new RapportError('RAPPORT_API_BAD_REQUEST', `${field}: ${first?.message ?? 'invalid'}`, {
        field,
      }),
    };
  };
}
