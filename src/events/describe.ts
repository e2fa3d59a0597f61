// Small helpers shared by the validators: what a JSON value is, in words a client understands.

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "number", "array", "null", "an empty string", "nothing": used in "(got …)". */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value === '') return 'an empty string';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

export function invalid(field: string, expected: string, value: unknown) {
  return {
    code: 'RAPPORT_INGEST_INVALID_MESSAGE' as const,
    field,
    reason: `${field} must be ${expected} (got ${describeValue(value)})`,
  };
}
