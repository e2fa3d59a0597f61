// The dead-letter routes' answers (TypeBox): the routes serialise with them, the OpenAPI document
// shows them, and the Operations page imports their types (web/src/operations-api.ts).
import { type Static, Type } from '@sinclair/typebox';

/** What a dead letter's kept text ends with when it was cut at 64 KB. */
export const TRUNCATED = '…[truncated]';

export const DeadLetterSchema = Type.Object({
  id: Type.Integer(),
  receivedAt: Type.String(),
  source: Type.String({ description: 'the write key’s name' }),
  code: Type.String(),
  field: Type.String({ description: 'the field the refusal names' }),
  reason: Type.String(),
  body: Type.String({ description: `the message as sent, as JSON (cut at 64 KB, ending “${TRUNCATED}”)` }),
});

export const DeadLetterPageSchema = Type.Object({
  total: Type.Integer({ description: 'dead letters kept, all of them' }),
  items: Type.Array(DeadLetterSchema, { description: 'newest first' }),
});

export const ReplayResult = Type.Object({
  outcome: Type.Literal('replayed'),
  accepted: Type.Integer({ description: 'messages now in the log' }),
  suppressed: Type.Integer({ description: 'messages dropped because their person was erased' }),
  rejected: Type.Integer({ description: 'messages of a batch refused again, kept as new dead letters' }),
});

export type DeadLetterAnswer = Static<typeof DeadLetterSchema>;
export type DeadLetterReplay = Static<typeof ReplayResult>;
export type DeadLetterPage = Static<typeof DeadLetterPageSchema>;
