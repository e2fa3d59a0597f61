// The tracking HTTP API, compatible with Segment's: /v1/track … /v1/batch, analytics.js's
// short paths, and /v1/import. A request is answered only after its messages are committed
// to the ingest log; invalid messages of a batch go to the dead letters in the same commit.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type CredentialCache, redactBodySecrets, secretFromAuthorization } from '../auth/index.ts';
import { isRapportError, RapportError } from '../errors/index.ts';
import {
  type IngestLimits,
  type MessageRejection,
  type MessageScreen,
  type MessageType,
  parsePayload,
  SEGMENT_LIMITS,
} from '../events/index.ts';
import type { DeadLetter, LogEntry } from '../store/index.ts';
import { bodySampleOf, readJsonBody } from './body.ts';
import { type IngestByteBudget, requestBytesOf } from './budget.ts';
import type { GroupCommitLog } from './group-commit.ts';
import { messageCount, type WriteKeyRateLimits } from './rate-limit.ts';

export interface IngestRouteOptions {
  log: GroupCommitLog;
  credentials: CredentialCache;
  limits?: IngestLimits;
  /** Whole-request limit in bytes, Segment's 500 KB by default. */
  requestBytes?: number;
  /** Looks at accepted messages just before the append (erasure suppression, consent checks). */
  screen?: MessageScreen;
  /** Bytes of requests held at once (budget.ts); unbounded when absent. */
  budget?: IngestByteBudget;
  /** Messages per write key (rate-limit.ts); unlimited when absent. */
  rateLimits?: WriteKeyRateLimits;
}

const PATHS: [string[], MessageType | 'batch'][] = [
  [['/v1/track', '/v1/t'], 'track'],
  [['/v1/identify', '/v1/i'], 'identify'],
  [['/v1/page', '/v1/p'], 'page'],
  [['/v1/screen', '/v1/s'], 'screen'],
  [['/v1/group', '/v1/g'], 'group'],
  [['/v1/alias', '/v1/a'], 'alias'],
  [['/v1/batch', '/v1/b', '/v1/import'], 'batch'],
];

const DEAD_LETTER_BODY_LIMIT = 64 * 1024;

const rejectionSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    code: { type: 'string' },
    field: { type: 'string' },
    reason: { type: 'string' },
  },
} as const;

const responseSchema = {
  200: {
    description: 'Every accepted message is durably stored; rejected ones are kept as dead letters.',
    type: 'object',
    properties: {
      success: { type: 'boolean' },
      accepted: { type: 'integer' },
      rejected: { type: 'array', items: rejectionSchema },
      suppressed: { type: 'integer', description: 'Messages dropped because their person was erased.' },
      warnings: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            messageId: { type: 'string' },
            code: { type: 'string' },
            field: { type: 'string' },
            reason: { type: 'string' },
          },
        },
      },
    },
  },
  '4xx': {
    type: 'object',
    properties: {
      error: { type: 'string' },
      message: { type: 'string' },
      field: { type: 'string' },
      limit: { type: 'integer' },
      rejected: { type: 'array', items: rejectionSchema },
    },
    additionalProperties: true,
  },
} as const;

function bodySchema(pathType: MessageType | 'batch') {
  if (pathType === 'batch') {
    return {
      type: 'object',
      description: 'A Segment batch: { batch: [message…], context?, integrations?, sentAt?, writeKey? }',
      properties: { batch: { type: 'array', items: { type: 'object' } } },
      additionalProperties: true,
    };
  }
  return {
    type: 'object',
    description: `A Segment ${pathType} message (userId or anonymousId required).`,
    additionalProperties: true,
  };
}

/**
 * The rejected message as JSON. JSON.stringify recurses and overflows the stack on the very
 * deep values JSON.parse accepts (10,000 levels), which a too-deep rejection holds: keep the
 * top level then, with nested values replaced by a note, so the request still gets its 400.
 */
function serialiseRejected(message: unknown): string {
  try {
    return JSON.stringify(message) ?? 'undefined';
  } catch {
    if (typeof message !== 'object' || message === null) return JSON.stringify(String(message));
    const shallow: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(message)) {
      shallow[key] = typeof value === 'object' && value !== null ? '[too deeply nested to keep]' : value;
    }
    return JSON.stringify(shallow);
  }
}

export function deadLetterOf(rejection: MessageRejection, receivedAt: string, source: string): DeadLetter {
  // A write key in the message (analytics.js sends one in the body) is never stored.
  let body = redactBodySecrets(serialiseRejected(rejection.message));
  if (body.length > DEAD_LETTER_BODY_LIMIT) body = `${body.slice(0, DEAD_LETTER_BODY_LIMIT)}…[truncated]`;
  return { receivedAt, source, code: rejection.code, field: rejection.field, reason: rejection.reason, body };
}

async function authenticate(
  request: FastifyRequest,
  body: unknown,
  credentials: CredentialCache,
): Promise<{ id: string; name: string }> {
  const fromBody =
    body && typeof body === 'object' && typeof (body as { writeKey?: unknown }).writeKey === 'string'
      ? ((body as { writeKey: string }).writeKey as string)
      : undefined;
  const secret = secretFromAuthorization(request.headers.authorization) ?? fromBody;
  if (!secret) {
    throw new RapportError(
      'RAPPORT_INGEST_UNKNOWN_WRITE_KEY',
      'no write key: send it as HTTP Basic username, a Bearer token, or a writeKey field',
    );
  }
  const credential = await credentials.verify(secret, 'write');
  if (!credential) throw new RapportError('RAPPORT_INGEST_UNKNOWN_WRITE_KEY', 'unknown or revoked write key');
  return credential;
}

async function handle(
  request: FastifyRequest,
  reply: FastifyReply,
  pathType: MessageType | 'batch',
  options: IngestRouteOptions,
) {
  const receivedAt = new Date();
  const writeKey = await authenticate(request, request.body, options.credentials);
  options.rateLimits?.take(writeKey.id, messageCount(request.body));
  const source = writeKey.name;
  const parsed = parsePayload(request.body, pathType, {
    receivedAt,
    limits: options.limits ?? SEGMENT_LIMITS,
  });
  const received = receivedAt.toISOString();
  const screened = options.screen?.(parsed.accepted);
  const entries: LogEntry[] = (screened?.kept ?? parsed.accepted).map(({ message, json }) => ({
    messageId: message.messageId,
    source,
    receivedAt: received,
    json,
  }));
  const deadLetters = parsed.rejected.map((rejection) => deadLetterOf(rejection, received, source));
  await options.log.append(entries, deadLetters);
  await screened?.afterAppend?.();
  const rejected = parsed.rejected.map(({ index, code, field, reason }) => ({ index, code, field, reason }));
  if (entries.length === 0 && rejected.length > 0) {
    const first = rejected[0] as (typeof rejected)[number];
    return reply.code(first.code === 'RAPPORT_INGEST_MESSAGE_TOO_LARGE' ? 413 : 400).send({
      error: first.code,
      message:
        rejected.length === 1
          ? `${first.field}: ${first.reason}`
          : `all ${rejected.length} messages were rejected; see rejected[]`,
      field: first.field,
      rejected,
    });
  }
  const notes = screened && (screened.suppressed > 0 || screened.warnings.length > 0);
  const extra = notes ? { suppressed: screened.suppressed, warnings: screened.warnings } : {};
  return reply.send({ success: true, accepted: entries.length, rejected, ...extra });
}

/**
 * A request refused whole (not JSON, not UTF-8, too large, too long a batch) is filed as a
 * dead letter when it carried a valid write key, so it can be inspected like a rejected
 * message. Then the root error handler answers as usual.
 */
async function fileRejectedRequest(error: unknown, request: FastifyRequest, options: IngestRouteOptions) {
  if (
    !isRapportError(error) ||
    error.kind !== 'user' ||
    error.code === 'RAPPORT_INGEST_UNKNOWN_WRITE_KEY' ||
    // Not a fault of the request: the client retries it as it is.
    error.code === 'RAPPORT_INGEST_RATE_LIMITED'
  )
    return;
  const secret = secretFromAuthorization(request.headers.authorization);
  const credential = secret ? await options.credentials.verify(secret, 'write') : undefined;
  if (!credential) return;
  const body = redactBodySecrets(bodySampleOf(error) ?? truncatedJson(request.body));
  const field = typeof error.details?.field === 'string' ? error.details.field : 'body';
  const receivedAt = new Date().toISOString();
  await options.log
    .append(
      [],
      // The reason too: JSON.parse quotes the text around the fault, which may be the key.
      [
        {
          receivedAt,
          source: credential.name,
          code: error.code,
          field,
          reason: redactBodySecrets(error.message),
          body,
        },
      ],
    )
    .catch(() => undefined);
}

function truncatedJson(body: unknown): string {
  if (body === undefined) return '';
  const text = serialiseRejected(body);
  return text.length > DEAD_LETTER_BODY_LIMIT ? `${text.slice(0, DEAD_LETTER_BODY_LIMIT)}…[truncated]` : text;
}

export async function ingestRoutes(app: FastifyInstance, options: IngestRouteOptions): Promise<void> {
  const requestBytes = options.requestBytes ?? 500 * 1024;
  app.setErrorHandler(async (error, request) => {
    await fileRejectedRequest(error, request, options);
    throw error;
  });
  if (options.budget) holdWithinBudget(app, options.budget, requestBytes);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    readJsonBody(payload, request.headers['content-encoding'], requestBytes).then(
      (body) => done(null, body),
      (error) => done(error as Error, undefined),
    );
  });
  for (const [paths, pathType] of PATHS) {
    for (const url of paths) {
      app.post(url, {
        // The write key is checked by the route itself (authenticate above), not the guard.
        config: { access: 'public' },
        bodyLimit: requestBytes * 4,
        // Validation is per message (the good ones land); the schema is for the OpenAPI document.
        validatorCompiler: () => () => true,
        schema: {
          tags: ['tracking'],
          summary: pathType === 'batch' ? 'Send many messages' : `Send a ${pathType} message`,
          body: bodySchema(pathType),
          response: responseSchema,
          hide: url.length <= 5,
        },
        handler: (request, reply) => handle(request, reply, pathType, options),
      });
    }
  }
}

/**
 * Takes each request's bytes from the budget before its body is read, and gives them back once
 * the answer is sent (or the client went away); over the budget the answer is 429 at once.
 */
function holdWithinBudget(app: FastifyInstance, budget: IngestByteBudget, requestLimit: number): void {
  const held = new WeakMap<FastifyRequest, number>();
  const release = (request: FastifyRequest) => {
    const bytes = held.get(request);
    if (bytes === undefined) return;
    held.delete(request);
    budget.release(bytes);
  };
  app.addHook('onRequest', async (request) => {
    const bytes = requestBytesOf(request.headers, requestLimit);
    if (!budget.tryTake(bytes))
      throw new RapportError(
        'RAPPORT_INGEST_OVERLOADED',
        `the server holds ${Math.round(budget.held / 1048576)} MB of requests, its limit (RAPPORT_INGEST_MAX_MB); retry shortly`,
        { retryAfterSeconds: 1 },
      );
    held.set(request, bytes);
  });
  app.addHook('onResponse', async (request) => release(request));
  app.addHook('onRequestAbort', async (request) => release(request));
}
