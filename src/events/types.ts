// The shapes of the Segment spec as Rapport accepts them, and the limits that bound them.

export type MessageType = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';

export const MESSAGE_TYPES: readonly MessageType[] = [
  'track',
  'identify',
  'page',
  'screen',
  'group',
  'alias',
];

/** A normalised, accepted message. */
export interface SegmentMessage {
  type: MessageType;
  messageId: string;
  /** Stringified if a number was sent (Segment allows numbers); absent if null or empty. */
  userId?: string;
  anonymousId?: string;
  /** track */
  event?: string;
  /** page, screen */
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
  /** group */
  groupId?: string;
  /** alias */
  previousId?: string;
  /** ISO 8601 UTC, after clock-skew correction. */
  timestamp: string;
  /** What the client sent as timestamp (Segment's convention). */
  originalTimestamp?: string;
  sentAt?: string;
  /** ISO 8601 UTC, set by the server. */
  receivedAt: string;
  /** Unknown fields are kept as sent. */
  [unknownField: string]: unknown;
}

export interface MessageRejection {
  /** Position in the batch; 0 for single-message routes. */
  index: number;
  code: string;
  /** Dotted path of the offending field; '' when the message as a whole is wrong. */
  field: string;
  reason: string;
  /** The message as sent (strings may already have had U+0000 / lone surrogates replaced). */
  message: unknown;
}

export interface IngestLimits {
  /** UTF-8 bytes of one normalised message's JSON. */
  messageBytes: number;
  batchMessages: number;
  /** Levels of objects/arrays below the message itself (`properties` is level 1). */
  maxDepth: number;
  /** How far ahead of receivedAt a corrected timestamp may be before it is clamped. */
  maxFutureMs: number;
  /**
   * Characters of userId, anonymousId, previousId, groupId and a track's event name. They are
   * index keys in the state store (PostgreSQL refuses a btree entry over about 2,700 bytes).
   */
  idChars: number;
  /** Characters of any object key in the message (trait and property names). */
  keyChars: number;
}

export const SEGMENT_LIMITS: IngestLimits = Object.freeze({
  messageBytes: 32 * 1024,
  batchMessages: 2500,
  maxDepth: 32,
  maxFutureMs: 24 * 60 * 60 * 1000,
  idChars: 255,
  keyChars: 255,
});

export interface AcceptedMessage {
  message: SegmentMessage;
  /** JSON.stringify(message), computed once and reused by the log. */
  json: string;
}

/** A note on an accepted message: it landed, but part of it was not usable (e.g. a consent value). */
export interface IngestWarning {
  messageId: string;
  code: string;
  field: string;
  reason: string;
}

export interface ScreenedMessages {
  kept: AcceptedMessage[];
  /** Messages dropped on purpose (an erased person's identifiers): not stored, not rejected. */
  suppressed: number;
  warnings: IngestWarning[];
  /** Runs once the kept messages are committed. */
  afterAppend?: () => Promise<void>;
}

/**
 * What the tracking routes run on accepted messages just before the append (the privacy screen
 * of src/profiles/). Synchronous: what it lets through is queued for the append in the same turn.
 */
export type MessageScreen = (accepted: AcceptedMessage[]) => ScreenedMessages;

export interface ParsedPayload {
  accepted: AcceptedMessage[];
  rejected: MessageRejection[];
}

/** What went wrong with one message, before it is tied to an index. */
export interface Problem {
  code:
    | 'RAPPORT_INGEST_INVALID_MESSAGE'
    | 'RAPPORT_INGEST_MESSAGE_TOO_LARGE'
    | 'RAPPORT_INGEST_MESSAGE_TOO_DEEP'
    | 'RAPPORT_INGEST_FIELD_TOO_LONG';
  field: string;
  reason: string;
}
