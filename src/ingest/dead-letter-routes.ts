// Dead letters over the admin API (docs/tracking-api.md "Dead letters"): one of them, a replay
// through the tracking API's own validation (the message as kept, or as corrected by hand),
// and a discard. A replay is a new receipt from the dead letter's source: the privacy screen
// runs on it as on any message, a message with no messageId gets one derived from the dead
// letter (a replay repeated after a crash is the same message, deduplicated by the log), and
// the dead letter is removed only once what it became is committed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { strictBody } from '../api/strict-body.ts';
import { errorSchema, isRapportError, RapportError } from '../errors/index.ts';
import {
  type IngestLimits,
  MESSAGE_TYPES,
  type MessageScreen,
  type MessageType,
  parsePayload,
  SEGMENT_LIMITS,
} from '../events/index.ts';
import type { DeadLetter, IngestLogStore, LogEntry, StoredDeadLetter } from '../store/index.ts';
import { deadLetterOf } from './routes.ts';
import { DeadLetterSchema, ReplayResult, TRUNCATED } from './schema.ts';

export interface DeadLetterRouteOptions {
  /** Where dead letters are kept (the ingest log store). */
  store: Pick<IngestLogStore, 'listDeadLetters' | 'deleteDeadLetters'>;
  /** The ingest log's append, as the tracking routes use it. */
  append(entries: LogEntry[], deadLetters: DeadLetter[]): Promise<unknown>;
  screen?: MessageScreen;
  limits?: IngestLimits;
}

const security = [{ adminToken: [] }];
const tags = ['ingest'];

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const ReplayBody = Type.Object(
  {
    message: Type.Optional(
      Type.Unknown({ description: 'the corrected message (or batch) to send instead of the one kept' }),
    ),
  },
  { additionalProperties: false },
);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kept text as a message, or why it cannot be replayed as it is. */
function keptMessage(letter: StoredDeadLetter): unknown {
  if (letter.body.endsWith(TRUNCATED))
    throw new RapportError(
      'RAPPORT_DEAD_LETTER_REFUSED',
      'the message was kept cut at 64 KB: replay a corrected message instead',
      { field: 'message' },
    );
  try {
    return JSON.parse(letter.body);
  } catch {
    throw new RapportError(
      'RAPPORT_DEAD_LETTER_REFUSED',
      'what was kept is not a JSON message (the whole request was refused): replay a corrected message instead',
      { field: 'message' },
    );
  }
}

/** A message goes through its own type's path; a batch, or a message with no known type, as a batch. */
function asRequest(message: unknown): { body: unknown; path: MessageType | 'batch' } {
  if (isObject(message) && Array.isArray(message.batch)) return { body: message, path: 'batch' };
  if (isObject(message) && MESSAGE_TYPES.includes(message.type as MessageType))
    return { body: message, path: message.type as MessageType };
  return { body: { batch: [message] }, path: 'batch' };
}

export const deadLetterRoutes: FastifyPluginAsyncTypebox<DeadLetterRouteOptions> = async (app, options) => {
  const find = async (id: number): Promise<StoredDeadLetter> => {
    const [letter] = await options.store.listDeadLetters({ limit: 1, beforeId: id + 1 });
    if (letter?.id !== id)
      throw new RapportError('RAPPORT_API_NOT_FOUND', `no dead letter ${id}`, { field: 'id' });
    return letter;
  };

  app.get(
    '/api/dead-letters/:id',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'One rejected message: why it was refused, and the message as sent',
        security,
        params: IdParams,
        response: { 200: DeadLetterSchema, '4xx': errorSchema },
      },
    },
    async (request) => find(request.params.id),
  );

  app.post(
    '/api/dead-letters/:id/replay',
    {
      config: { access: 'admin' },
      validatorCompiler: strictBody(ReplayBody),
      schema: {
        tags,
        summary: 'Send a rejected message again (as kept, or corrected) through the tracking API’s checks',
        description:
          'The message is validated as on /v1/*; refused again, it stays a dead letter and the answer is ' +
          '409 with the field and reason. Accepted, it is appended to the log from the dead letter’s ' +
          'source and the dead letter is removed. A batch lands its good messages; its refused ones ' +
          'become new dead letters.',
        security,
        params: IdParams,
        body: ReplayBody,
        response: { 200: ReplayResult, '4xx': errorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      const letter = await find(id);
      const corrected = request.body?.message;
      const { body, path } = asRequest(corrected === undefined ? keptMessage(letter) : corrected);
      const receivedAt = new Date();
      let derived = 0;
      let parsed: ReturnType<typeof parsePayload>;
      try {
        parsed = parsePayload(body, path, {
          receivedAt,
          limits: options.limits ?? SEGMENT_LIMITS,
          newMessageId: () => `dead-letter-${id}-${derived++}`,
        });
      } catch (error) {
        if (!isRapportError(error) || error.kind !== 'user') throw error;
        throw new RapportError('RAPPORT_DEAD_LETTER_REFUSED', `refused again: ${error.message}`, {
          field: typeof error.details?.field === 'string' ? error.details.field : 'message',
        });
      }
      if (parsed.accepted.length === 0) {
        const first = parsed.rejected[0];
        throw new RapportError(
          'RAPPORT_DEAD_LETTER_REFUSED',
          `refused again: ${first ? `${first.field}: ${first.reason}` : 'the batch holds no message'}`,
          { field: first?.field ?? 'batch' },
        );
      }
      const screened = options.screen?.(parsed.accepted);
      const received = receivedAt.toISOString();
      const entries: LogEntry[] = (screened?.kept ?? parsed.accepted).map(({ message, json }) => ({
        messageId: message.messageId,
        source: letter.source,
        receivedAt: received,
        json,
      }));
      const refused = parsed.rejected.map((rejection) => deadLetterOf(rejection, received, letter.source));
      await options.append(entries, refused);
      await screened?.afterAppend?.();
      await options.store.deleteDeadLetters([id]);
      return {
        outcome: 'replayed' as const,
        accepted: entries.length,
        suppressed: screened?.suppressed ?? 0,
        rejected: refused.length,
      };
    },
  );

  app.delete(
    '/api/dead-letters/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Discard a rejected message for good',
        security,
        params: IdParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      if ((await options.store.deleteDeadLetters([request.params.id])) === 0)
        throw new RapportError('RAPPORT_API_NOT_FOUND', `no dead letter ${request.params.id}`, {
          field: 'id',
        });
      return reply.code(204).send(null);
    },
  );
};
