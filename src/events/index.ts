// The message types of the Segment spec (track, identify, page, screen, group, alias), their
// validation and normalisation. Pure logic, no I/O: ingest hands in a parsed request body and
// gets back accepted messages (each with its JSON, serialised once) and per-message rejections.
//
// What normalisation does to a message, beyond checking the spec's required fields:
// - ids sent as numbers are stringified; null or "" ids are dropped;
// - a missing messageId is assigned; the batch's context/integrations/sentAt are merged in;
// - timestamp is corrected for the device's clock skew (receivedAt - (sentAt - timestamp)),
//   the client's value is kept in originalTimestamp, and a timestamp more than maxFutureMs
//   ahead is clamped to receivedAt and marked with context.rapport.timestampClamped = true;
// - U+0000 and lone UTF-16 surrogates, in any string or key, become U+FFFD, because
//   PostgreSQL rejects both in text and jsonb;
// - writeKey is removed (a credential, not event data); unknown fields are kept as sent.

export { type ParseOptions, parsePayload } from './payload.ts';
export { parseIsoTimestamp } from './timestamps.ts';
export type {
  AcceptedMessage,
  IngestLimits,
  IngestWarning,
  MessageRejection,
  MessageScreen,
  MessageType,
  ParsedPayload,
  ScreenedMessages,
  SegmentMessage,
} from './types.ts';
export { MESSAGE_TYPES, SEGMENT_LIMITS } from './types.ts';
export { toStorableString } from './walk.ts';
