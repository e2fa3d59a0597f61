// The whole request: a single message (/v1/track, /v1/identify, …) or a batch (/v1/batch,
// /v1/import). Whole-request problems throw a RapportError; a bad message only rejects itself.

import { randomUUID } from 'node:crypto';
import { RapportError } from '../errors/index.ts';
import { describeValue, isPlainObject, type JsonObject } from './describe.ts';
import { type BatchDefaults, type NormaliseOptions, normaliseMessage } from './message.ts';
import { readTimestampField } from './timestamps.ts';
import type { IngestLimits, MessageType, ParsedPayload } from './types.ts';
import { SEGMENT_LIMITS } from './types.ts';

export interface ParseOptions {
  receivedAt: Date;
  limits?: IngestLimits;
  newMessageId?: () => string;
}

/**
 * body: the already-JSON-parsed request body. pathType: the type implied by the route
 * ('track' for /v1/track and /v1/t, …, 'batch' for /v1/batch, /v1/b and /v1/import).
 * Strings in the body may be fixed in place (U+0000 and lone surrogates become U+FFFD).
 */
export function parsePayload(
  body: unknown,
  pathType: MessageType | 'batch',
  options: ParseOptions,
): ParsedPayload {
  if (!isPlainObject(body)) {
    throw malformed('', `the request body must be a JSON object (got ${describeValue(body)})`);
  }
  const limits = options.limits ?? SEGMENT_LIMITS;
  const normaliseOptions: NormaliseOptions = {
    pathType,
    batch: undefined,
    receivedAt: options.receivedAt.toISOString(),
    receivedMillis: options.receivedAt.getTime(),
    limits,
    newMessageId: options.newMessageId ?? randomUUID,
  };
  if (pathType !== 'batch') return normaliseAll([body], normaliseOptions);
  const messages = readBatchMessages(body, limits);
  return normaliseAll(messages, { ...normaliseOptions, batch: readBatchDefaults(body) });
}

function normaliseAll(messages: readonly unknown[], options: NormaliseOptions): ParsedPayload {
  const result: ParsedPayload = { accepted: [], rejected: [] };
  for (let index = 0; index < messages.length; index++) {
    const raw = messages[index];
    const outcome = normaliseMessage(raw, options);
    if ('code' in outcome) result.rejected.push({ index, ...outcome, message: raw });
    else result.accepted.push(outcome);
  }
  return result;
}

function readBatchMessages(body: JsonObject, limits: IngestLimits): unknown[] {
  const messages = body.batch;
  if (!Array.isArray(messages)) {
    throw malformed('batch', `batch must be an array of messages (got ${describeValue(messages)})`);
  }
  if (messages.length > limits.batchMessages) {
    throw new RapportError(
      'RAPPORT_INGEST_BATCH_TOO_LONG',
      `batch has ${messages.length} messages; the limit is ${limits.batchMessages}`,
      { limit: limits.batchMessages, field: 'batch', count: messages.length },
    );
  }
  return messages;
}

/** context and integrations merge into each message; sentAt applies where a message has none. */
function readBatchDefaults(body: JsonObject): BatchDefaults {
  const sentAt = readTimestampField('sentAt', body.sentAt);
  if ('code' in sentAt) throw malformed('sentAt', `batch-level ${sentAt.reason}`);
  return {
    context: readBatchObject(body, 'context'),
    integrations: readBatchObject(body, 'integrations'),
    sentAt,
  };
}

function readBatchObject(body: JsonObject, field: string): JsonObject | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (isPlainObject(value)) return value;
  throw malformed(field, `batch-level ${field} must be an object (got ${describeValue(value)})`);
}

function malformed(field: string, message: string): RapportError {
  return new RapportError('RAPPORT_INGEST_MALFORMED_BODY', message, { field });
}
