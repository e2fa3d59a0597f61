// The audit log's writer: one onSend hook on the root instance records every admin write
// (and every personal-data export) with who, what route, when, the outcome, and what it
// changed: the route's params, the request body with anything secret taken out, and the
// before/after a route notes with noteAudit. Written before the response leaves, so a client
// that has its answer finds the entry. Refusals by role (403) are recorded too: a privacy
// officer wants to see who tried.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessStore, NewAuditEntry } from '../store/index.ts';
import { isAudited } from './access.ts';
import type { AuditNote } from './guard.ts';

/** Keys whose values never reach the audit log. */
const SECRET_KEY = /pass(word)?|secret|token|credential|authori[sz]ation|api_?key|private|signing/i;
/** user:password@ in a URL (an SMTP URL in channel settings). */
const URL_USERINFO = /(\/\/)[^/@\s]*@/g;
/** An entry's changes are capped; a journey definition can be large. */
const MAX_CHANGES_CHARS = 16_000;

/** passwordChangedAt is a time, not a password. */
function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/At$/.test(key);
}

/** A copy of a JSON value with secret-looking keys' values and URL credentials replaced. */
export function withoutSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(URL_USERINFO, '$1[redacted]@');
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        isSecretKey(key) ? '[redacted]' : withoutSecrets(item),
      ]),
    );
  }
  return value;
}

/** Lets a route add what the generic entry cannot know: the entity before and after. */
export function noteAudit(request: FastifyRequest, note: AuditNote): void {
  request.auditNote = { ...request.auditNote, ...note };
}

/**
 * The route's path parameters by name. The hook runs for every route, whatever its params'
 * schema, so they are read as a plain record.
 */
function paramsOf(request: FastifyRequest): Record<string, unknown> | undefined {
  const params: unknown = request.params;
  return params !== null && typeof params === 'object'
    ? Object.fromEntries(Object.entries(params))
    : undefined;
}

function changesOf(request: FastifyRequest): string | null {
  const params = paramsOf(request);
  const changes = withoutSecrets({
    ...(params && Object.keys(params).length > 0 ? { params } : {}),
    ...(request.query && Object.keys(request.query).length > 0 ? { query: request.query } : {}),
    ...(request.body !== undefined && request.body !== null && !request.auditNote?.omitBody
      ? { body: request.body }
      : {}),
    ...(request.auditNote?.before !== undefined ? { before: request.auditNote.before } : {}),
    ...(request.auditNote?.after !== undefined ? { after: request.auditNote.after } : {}),
  }) as Record<string, unknown>;
  if (Object.keys(changes).length === 0) return null;
  const text = JSON.stringify(changes);
  return text.length <= MAX_CHANGES_CHARS
    ? text
    : JSON.stringify({ truncated: true, start: text.slice(0, MAX_CHANGES_CHARS) });
}

/** The profile an entry is about: noted by the route, else a /api/profiles/:id route's id. */
function subjectOf(request: FastifyRequest, pattern: string): string | null {
  if (request.auditNote?.subject) return request.auditNote.subject;
  const params = paramsOf(request);
  if (pattern.startsWith('/api/profiles/:id') && typeof params?.id === 'string') return params.id;
  if (typeof params?.profileId === 'string') return params.profileId;
  return null;
}

export function auditEntryOf(request: FastifyRequest, status: number, at: Date): NewAuditEntry | undefined {
  const pattern = request.routeOptions.url;
  const access = request.routeOptions.config?.access;
  const actor = request.actor;
  if (!pattern || !access || !actor || !isAudited(request.method, access)) return undefined;
  // Validation errors and the like are not changes; refusals by role are worth keeping.
  if (status >= 400 && status !== 403) return undefined;
  return {
    at: at.toISOString(),
    actorKind: actor.kind,
    actorId: actor.id,
    actorName: actor.name,
    role: actor.role,
    method: request.method,
    route: pattern,
    action: `${request.method} ${pattern}`,
    status,
    subject: subjectOf(request, pattern),
    changes: changesOf(request),
  };
}

export function auditHook(store: AccessStore, now: () => Date = () => new Date()) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const entry = auditEntryOf(request, reply.statusCode, now());
    if (entry) await store.appendAudit(entry);
    return payload;
  };
}
