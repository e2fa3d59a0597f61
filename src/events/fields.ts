// Validators for the fields the Segment spec names. Each normalises one field of the message
// being built (in place) and returns a Problem when the field cannot be accepted.

import { describeValue, invalid, isPlainObject, type JsonObject } from './describe.ts';
import type { MessageType, Problem } from './types.ts';

export const MAX_MESSAGE_ID_CHARS = 100;

/**
 * userId, anonymousId, groupId, previousId: a non-empty string, or a finite number which is
 * stringified (Segment allows numbers: 42 becomes "42"). null and "" count as absent.
 */
export function normaliseId(message: JsonObject, field: string, maxChars: number): Problem | undefined {
  const value = message[field];
  if (value === undefined) return undefined;
  if (value === null || value === '') {
    delete message[field];
    return undefined;
  }
  if (typeof value === 'string') return checkLength(field, value, maxChars);
  if (typeof value === 'number' && Number.isFinite(value)) {
    message[field] = String(value);
    return undefined;
  }
  return invalid(field, 'a non-empty string or a number', value);
}

/** RAPPORT_INGEST_FIELD_TOO_LONG when a string field is over its limit of characters. */
export function checkLength(field: string, value: string, maxChars: number): Problem | undefined {
  if (value.length <= maxChars) return undefined;
  return {
    code: 'RAPPORT_INGEST_FIELD_TOO_LONG',
    field,
    reason: `${field} is ${value.length} characters; the limit is ${maxChars} characters`,
  };
}

export function requireField(message: JsonObject, field: string, type: MessageType): Problem | undefined {
  if (message[field] !== undefined) return undefined;
  return {
    code: 'RAPPORT_INGEST_INVALID_MESSAGE',
    field,
    reason: `${field} is required for ${type} messages`,
  };
}

export function requireUserOrAnonymousId(message: JsonObject, type: MessageType): Problem | undefined {
  if (message.userId !== undefined || message.anonymousId !== undefined) return undefined;
  return {
    code: 'RAPPORT_INGEST_INVALID_MESSAGE',
    field: 'userId',
    reason: `userId or anonymousId is required for ${type} messages (a non-empty string or a number)`,
  };
}

export function requireNonEmptyString(
  message: JsonObject,
  field: string,
  maxChars = Number.POSITIVE_INFINITY,
): Problem | undefined {
  const value = message[field];
  if (typeof value === 'string' && value !== '') return checkLength(field, value, maxChars);
  return invalid(field, 'a non-empty string', value);
}

/** An optional string field: null counts as absent; any other non-string is rejected. */
export function optionalString(message: JsonObject, field: string): Problem | undefined {
  const value = message[field];
  if (value === undefined || typeof value === 'string') return undefined;
  if (value === null) {
    delete message[field];
    return undefined;
  }
  return invalid(field, 'a string', value);
}

/** properties, traits, context, integrations: objects when present; null counts as absent. */
export function optionalObject(message: JsonObject, field: string): Problem | undefined {
  const value = message[field];
  if (value === undefined || isPlainObject(value)) return undefined;
  if (value === null) {
    delete message[field];
    return undefined;
  }
  return invalid(field, 'an object', value);
}

/** Keeps a client's messageId (the dedupe key) or assigns one when it is absent. */
export function normaliseMessageId(message: JsonObject, newMessageId: () => string): Problem | undefined {
  const value = message.messageId;
  if (value === undefined || value === null) {
    message.messageId = newMessageId();
    return undefined;
  }
  if (typeof value !== 'string' || value === '') return invalid('messageId', 'a non-empty string', value);
  if (value.length <= MAX_MESSAGE_ID_CHARS) return undefined;
  return {
    code: 'RAPPORT_INGEST_INVALID_MESSAGE',
    field: 'messageId',
    reason: `messageId must be at most ${MAX_MESSAGE_ID_CHARS} characters (got ${value.length})`,
  };
}

export function describeType(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describeValue(value);
}
