// The one error catalogue. Every error Rapport returns to a person or a client has a code
// named by subsystem, an HTTP status, and a kind: the user's mistake (fix the input), an
// operational fault (retry later, page someone), or a bug (report it).

export { errorSchema, Nullable, StringEnum, type Typed } from './schema.ts';

export type ErrorKind = 'user' | 'operational' | 'bug';

export interface ErrorSpec {
  status: number;
  kind: ErrorKind;
}

export const ERRORS = {
  RAPPORT_INGEST_MALFORMED_BODY: { status: 400, kind: 'user' },
  RAPPORT_INGEST_INVALID_UTF8: { status: 400, kind: 'user' },
  RAPPORT_INGEST_BAD_ENCODING: { status: 415, kind: 'user' },
  RAPPORT_INGEST_REQUEST_TOO_LARGE: { status: 413, kind: 'user' },
  RAPPORT_INGEST_BATCH_TOO_LONG: { status: 413, kind: 'user' },
  RAPPORT_INGEST_MESSAGE_TOO_LARGE: { status: 413, kind: 'user' },
  RAPPORT_INGEST_MESSAGE_TOO_DEEP: { status: 400, kind: 'user' },
  RAPPORT_INGEST_FIELD_TOO_LONG: { status: 400, kind: 'user' },
  RAPPORT_INGEST_INVALID_MESSAGE: { status: 400, kind: 'user' },
  RAPPORT_INGEST_UNKNOWN_WRITE_KEY: { status: 401, kind: 'user' },
  RAPPORT_INGEST_OVERLOADED: { status: 429, kind: 'operational' },
  RAPPORT_INGEST_RATE_LIMITED: { status: 429, kind: 'user' },
  RAPPORT_INGEST_UNAVAILABLE: { status: 503, kind: 'operational' },
  RAPPORT_API_UNAUTHORIZED: { status: 401, kind: 'user' },
  RAPPORT_API_FORBIDDEN: { status: 403, kind: 'user' },
  // A route under /api/ without config.access (docs/access.md): refused, and logged as a bug.
  RAPPORT_API_ACCESS_UNDECLARED: { status: 403, kind: 'bug' },
  RAPPORT_API_CROSS_ORIGIN: { status: 403, kind: 'user' },
  RAPPORT_API_TOO_MANY_ATTEMPTS: { status: 429, kind: 'user' },
  RAPPORT_API_NOT_FOUND: { status: 404, kind: 'user' },
  RAPPORT_API_BAD_REQUEST: { status: 400, kind: 'user' },
  RAPPORT_API_CONFLICT: { status: 409, kind: 'user' },
  RAPPORT_CONSENT_INVALID: { status: 400, kind: 'user' },
  RAPPORT_PROFILE_ERASED: { status: 410, kind: 'user' },
  RAPPORT_CONFIG_INVALID: { status: 500, kind: 'user' },
  RAPPORT_TASK_CONFLICT: { status: 409, kind: 'user' },
  RAPPORT_PLACEMENTS_INVALID: { status: 400, kind: 'user' },
  RAPPORT_CHANNEL_UNAVAILABLE: { status: 503, kind: 'operational' },
  RAPPORT_STORE_UNAVAILABLE: { status: 503, kind: 'operational' },
  RAPPORT_VALUE_INVALID_INPUT: { status: 400, kind: 'user' },
  RAPPORT_ATTRIBUTION_INVALID_INPUT: { status: 400, kind: 'user' },
  RAPPORT_PERSONAS_NOT_FITTED: { status: 404, kind: 'user' },
  RAPPORT_PERSONAS_UNKNOWN_TRAIT: { status: 400, kind: 'user' },
  RAPPORT_PERSONAS_TOO_FEW_PEOPLE: { status: 400, kind: 'user' },
  RAPPORT_SURVEY_NOT_FOUND: { status: 404, kind: 'user' },
  RAPPORT_SURVEY_INVALID: { status: 400, kind: 'user' },
  RAPPORT_SURVEY_LINK_INVALID: { status: 400, kind: 'user' },
  RAPPORT_SURVEY_LINK_EXPIRED: { status: 410, kind: 'user' },
  RAPPORT_SURVEY_UNKNOWN_PERSON: { status: 404, kind: 'user' },
  RAPPORT_SURVEY_CONSENT_DENIED: { status: 403, kind: 'user' },
  RAPPORT_SURVEY_CLOSED: { status: 409, kind: 'user' },
  RAPPORT_BELIEFS_UNKNOWN_NAME: { status: 400, kind: 'user' },
  RAPPORT_BELIEFS_NOT_FOUND: { status: 404, kind: 'user' },
  RAPPORT_VALUE_FIT_FAILED: { status: 422, kind: 'user' },
  RAPPORT_VALUE_RECOMPUTING: { status: 503, kind: 'operational' },
  RAPPORT_JOURNEY_INVALID: { status: 400, kind: 'user' },
  RAPPORT_POLICY_INVALID: { status: 400, kind: 'user' },
  RAPPORT_POLICY_READ_ONLY: { status: 409, kind: 'user' },
  RAPPORT_JOURNEY_CONFLICT: { status: 409, kind: 'user' },
  RAPPORT_SEGMENT_INVALID_RULE: { status: 400, kind: 'user' },
  RAPPORT_SEGMENT_NOT_FOUND: { status: 404, kind: 'user' },
  RAPPORT_SEGMENT_EXISTS: { status: 409, kind: 'user' },
  RAPPORT_SEGMENT_IN_USE: { status: 409, kind: 'user' },
  RAPPORT_SEGMENTS_UNAVAILABLE: { status: 501, kind: 'operational' },
  RAPPORT_QUARANTINE_REPLAY_FAILED: { status: 409, kind: 'operational' },
  RAPPORT_DEAD_LETTER_REFUSED: { status: 409, kind: 'user' },
  RAPPORT_EXPERIMENT_INVALID: { status: 400, kind: 'user' },
  RAPPORT_EXPERIMENT_NOT_FOUND: { status: 404, kind: 'user' },
  RAPPORT_LOYALTY_INVALID: { status: 400, kind: 'user' },
  RAPPORT_LOYALTY_INSUFFICIENT_POINTS: { status: 409, kind: 'user' },
  RAPPORT_INTERNAL: { status: 500, kind: 'bug' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class RapportError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'RapportError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.kind = ERRORS[code].kind;
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...(this.details ?? {}) };
  }
}

export function isRapportError(error: unknown): error is RapportError {
  return error instanceof RapportError;
}
