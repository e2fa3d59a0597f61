// A body validator that refuses what it does not know. Fastify's default validator removes
// properties a schema does not list (`removeAdditional`), so a field a client believes it sent
// (an `html` template, say) would vanish without a word. Routes whose TypeBox schema is closed
// use this instead: an unknown field is a 400 naming it, like every other mistake.
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import type { FastifySchemaCompiler } from 'fastify';
import { RapportError } from '../errors/index.ts';

/** `/template/subject` → `template.subject`: the dotted name the rest of the API uses. */
function fieldOf(path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.') || 'body';
}

/** The route-level `validatorCompiler` for a closed TypeBox body schema. */
export function strictBody(schema: TSchema): FastifySchemaCompiler<unknown> {
  const check = TypeCompiler.Compile(schema);
  return () => (value) => {
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
