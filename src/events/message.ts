// Normalises one message of the Segment spec, or says which field makes it unacceptable.
// Steps, in order: type, messageId, ids, the type's own required fields, object fields,
// batch defaults (context, integrations, sentAt), timestamps, strings and depth, size.

import { describeValue, isPlainObject, type JsonObject } from './describe.ts';
import {
  describeType,
  normaliseId,
  normaliseMessageId,
  optionalObject,
  optionalString,
  requireField,
  requireNonEmptyString,
  requireUserOrAnonymousId,
} from './fields.ts';
import {
  correctClockSkew,
  formatIsoUtc,
  isCanonicalIso,
  readTimestampField,
  type TimestampField,
} from './timestamps.ts';
import type { AcceptedMessage, IngestLimits, MessageType, Problem, SegmentMessage } from './types.ts';
import { MESSAGE_TYPES } from './types.ts';
import { sanitizeAndCheckShape } from './walk.ts';

/** Batch-level fields that apply to every message of the batch. */
export interface BatchDefaults {
  context: JsonObject | undefined;
  integrations: JsonObject | undefined;
  sentAt: TimestampField;
}

export interface NormaliseOptions {
  pathType: MessageType | 'batch';
  batch: BatchDefaults | undefined;
  receivedAt: string;
  receivedMillis: number;
  limits: IngestLimits;
  newMessageId: () => string;
}

/** Where Rapport records what it did to a message; clients' own keys under it are kept. */
export const RAPPORT_CONTEXT_KEY = 'rapport';

const OBJECT_FIELDS = ['properties', 'traits', 'context', 'integrations'] as const;

export function normaliseMessage(raw: unknown, options: NormaliseOptions): AcceptedMessage | Problem {
  if (!isPlainObject(raw)) {
    return {
      code: 'RAPPORT_INGEST_INVALID_MESSAGE',
      field: '',
      reason: `a message must be an object (got ${describeValue(raw)})`,
    };
  }
  const type = resolveType(raw.type, options.pathType);
  if (typeof type !== 'string') return type;
  const message = copyTopLevel(raw);
  message.type = type;
  const problem =
    normaliseMessageId(message, options.newMessageId) ??
    checkIds(message, type, options.limits.idChars) ??
    checkTypeFields(message, type, options.limits.idChars) ??
    checkObjectFields(message);
  if (problem !== undefined) return problem;
  applyBatchDefaults(message, options.batch);
  const timestampProblem = applyTimestamps(message, options);
  if (timestampProblem !== undefined) return timestampProblem;
  return finish(message as SegmentMessage, options.limits);
}

/**
 * A shallow copy of the top level; nested values stay the client's and are fixed in place.
 * Built key by key rather than by spread-then-delete: objects built this way share hidden
 * classes, and later writes and JSON.stringify on them are several times faster.
 */
function copyTopLevel(raw: JsonObject): JsonObject {
  const copy: JsonObject = {};
  for (const key in raw) {
    // The write key authenticates the request; it is a secret, not part of the event.
    if (key === 'writeKey') continue;
    if (key === '__proto__') setOwn(copy, key, raw[key]);
    else copy[key] = raw[key];
  }
  return copy;
}

function resolveType(value: unknown, pathType: MessageType | 'batch'): MessageType | Problem {
  if (pathType !== 'batch') {
    if (value === undefined || value === null || value === pathType) return pathType;
    return {
      code: 'RAPPORT_INGEST_INVALID_MESSAGE',
      field: 'type',
      reason: `type must be "${pathType}" on this route (got ${describeType(value)})`,
    };
  }
  if (MESSAGE_TYPES.includes(value as MessageType)) return value as MessageType;
  return {
    code: 'RAPPORT_INGEST_INVALID_MESSAGE',
    field: 'type',
    reason: `type must be one of ${MESSAGE_TYPES.join(', ')} (got ${describeType(value)})`,
  };
}

function checkIds(message: JsonObject, type: MessageType, maxChars: number): Problem | undefined {
  const problem =
    normaliseId(message, 'userId', maxChars) ??
    normaliseId(message, 'anonymousId', maxChars) ??
    (type === 'group' ? normaliseId(message, 'groupId', maxChars) : undefined) ??
    (type === 'alias' ? normaliseId(message, 'previousId', maxChars) : undefined);
  if (problem !== undefined) return problem;
  if (type === 'alias')
    return requireField(message, 'userId', type) ?? requireField(message, 'previousId', type);
  return requireUserOrAnonymousId(message, type);
}

function checkTypeFields(message: JsonObject, type: MessageType, maxChars: number): Problem | undefined {
  switch (type) {
    case 'track':
      return requireNonEmptyString(message, 'event', maxChars);
    case 'page':
    case 'screen':
      return optionalString(message, 'name');
    case 'group':
      return requireField(message, 'groupId', type);
    default:
      return undefined;
  }
}

function checkObjectFields(message: JsonObject): Problem | undefined {
  for (const field of OBJECT_FIELDS) {
    const problem = optionalObject(message, field);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function applyBatchDefaults(message: JsonObject, batch: BatchDefaults | undefined): void {
  if (batch === undefined) return;
  const ownContext = message.context as JsonObject | undefined;
  if (batch.context !== undefined) message.context = mergeContext(batch.context, ownContext);
  const ownIntegrations = message.integrations as JsonObject | undefined;
  if (batch.integrations !== undefined) {
    const merged: JsonObject = {};
    mergeInto(merged, batch.integrations);
    if (ownIntegrations !== undefined) mergeInto(merged, ownIntegrations);
    message.integrations = merged;
  }
}

/**
 * The message's keys win, and objects present on both sides merge one level deep, so a batch's
 * context.library and a message's context.page both survive, as do context.device.id from
 * the batch and context.device.model from the message.
 */
export function mergeContext(batchContext: JsonObject, ownContext: JsonObject | undefined): JsonObject {
  // Not spread or Object.assign: see copyTopLevel; and Object.assign would turn a client's own
  // "__proto__" key into a prototype change.
  const merged: JsonObject = {};
  mergeInto(merged, batchContext);
  if (ownContext === undefined) return merged;
  mergeInto(merged, ownContext);
  for (const key in batchContext) {
    const fromBatch = batchContext[key];
    const own = ownContext[key];
    if (isPlainObject(fromBatch) && isPlainObject(own)) {
      const both: JsonObject = {};
      mergeInto(both, fromBatch);
      mergeInto(both, own);
      setOwn(merged, key, both);
    }
  }
  return merged;
}

function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const key in source) {
    if (key === '__proto__') setOwn(target, key, source[key]);
    else target[key] = source[key];
  }
}

/** Assignment that never trips the __proto__ setter (JSON.parse makes "__proto__" an own key). */
function setOwn(object: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyTimestamps(message: JsonObject, options: NormaliseOptions): Problem | undefined {
  const timestamp = readTimestampField('timestamp', message.timestamp);
  if ('code' in timestamp) return timestamp;
  const original = readTimestampField('originalTimestamp', message.originalTimestamp);
  if ('code' in original) return original;
  const sentAt = readSentAt(message, options.batch);
  if ('code' in sentAt) return sentAt;
  const client = timestamp.present ? timestamp : original;
  const corrected = correctClockSkew({
    clientMillis: client.present ? client.millis : undefined,
    sentAtMillis: sentAt.present ? sentAt.millis : undefined,
    receivedMillis: options.receivedMillis,
    maxFutureMs: options.limits.maxFutureMs,
  });
  if ('code' in corrected) return corrected;
  message.timestamp = formatIso(corrected.millis, client);
  // Segment's convention: originalTimestamp is the client's timestamp. A client that sent its
  // own originalTimestamp (a replay of exported data) keeps it.
  if (original.present) message.originalTimestamp = original.text;
  else if (timestamp.present) message.originalTimestamp = timestamp.text;
  else if ('originalTimestamp' in message) delete message.originalTimestamp;
  // Deleting is slow in V8 (the object leaves fast mode), so only when there is something to delete.
  if (sentAt.present) message.sentAt = sentAt.text;
  else if ('sentAt' in message) delete message.sentAt;
  message.receivedAt = options.receivedAt;
  if (corrected.clamped) markTimestampClamped(message);
  return undefined;
}

/** Reuses the client's text when it already is the canonical form, saving a Date. */
function formatIso(millis: number, client: TimestampField): string {
  if (client.present && client.millis === millis && isCanonicalIso(client.text)) return client.text;
  return formatIsoUtc(millis);
}

function readSentAt(message: JsonObject, batch: BatchDefaults | undefined) {
  const own = message.sentAt;
  if ((own === undefined || own === null) && batch !== undefined) return batch.sentAt;
  return readTimestampField('sentAt', own);
}

/** context.rapport.timestampClamped = true: the client's time was too far in the future. */
function markTimestampClamped(message: JsonObject): void {
  const context = (message.context as JsonObject | undefined) ?? {};
  const previous = context[RAPPORT_CONTEXT_KEY];
  const marker = { ...(isPlainObject(previous) ? previous : {}), timestampClamped: true };
  // A fresh context object: the one we hold may be shared with other messages of the batch.
  message.context = { ...context, [RAPPORT_CONTEXT_KEY]: marker };
}

function finish(message: SegmentMessage, limits: IngestLimits): AcceptedMessage | Problem {
  const shapeProblem = sanitizeAndCheckShape(message, limits);
  if (shapeProblem?.kind === 'depth') {
    return {
      code: 'RAPPORT_INGEST_MESSAGE_TOO_DEEP',
      field: shapeProblem.path,
      reason: `${shapeProblem.path} is nested ${shapeProblem.depth} levels deep; the limit is ${limits.maxDepth} levels`,
    };
  }
  if (shapeProblem?.kind === 'key') {
    return {
      code: 'RAPPORT_INGEST_FIELD_TOO_LONG',
      field: shapeProblem.path,
      reason: `the key ${shapeProblem.path} is ${shapeProblem.length} characters; the limit is ${limits.keyChars} characters`,
    };
  }
  let json: string;
  try {
    json = JSON.stringify(message);
  } catch (error) {
    // Unreachable for JSON.parse output; a BigInt from a caller that built the body by hand.
    return { code: 'RAPPORT_INGEST_INVALID_MESSAGE', field: '', reason: `message is not JSON: ${error}` };
  }
  return checkSize(message, json, limits.messageBytes);
}

function checkSize(message: SegmentMessage, json: string, limit: number): AcceptedMessage | Problem {
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short messages skip the byte count.
  if (json.length * 3 <= limit) return { message, json };
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= limit) return { message, json };
  return {
    code: 'RAPPORT_INGEST_MESSAGE_TOO_LARGE',
    field: '',
    reason: `message is ${bytes} bytes; the limit is ${limit} bytes (${formatKilobytes(limit)})`,
  };
}

function formatKilobytes(bytes: number): string {
  const kilobytes = bytes / 1024;
  return `${Number.isInteger(kilobytes) ? kilobytes : kilobytes.toFixed(1)} KB`;
}
