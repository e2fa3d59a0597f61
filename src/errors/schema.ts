// The body of every error response, as the routes declare it (OpenAPI and serialisation):
// the code from ERRORS, a sentence for a person, and whatever details the error carries.
export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  additionalProperties: true,
} as const;
