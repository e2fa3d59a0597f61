import type { IngestLimits, MessageType, ParsedPayload } from '../../src/events/index.ts';
import { parsePayload } from '../../src/events/index.ts';

export const RECEIVED_AT = new Date('2024-05-01T12:00:00.000Z');

/** parsePayload with a fixed receivedAt and predictable message ids. */
export function parse(body: unknown, pathType: MessageType | 'batch', limits?: IngestLimits): ParsedPayload {
  let next = 0;
  return parsePayload(body, pathType, {
    receivedAt: RECEIVED_AT,
    newMessageId: () => `generated-${++next}`,
    ...(limits ? { limits } : {}),
  });
}

/** The single accepted message, failing loudly when there is none. */
export function acceptOne(body: unknown, pathType: MessageType | 'batch' = 'track') {
  const result = parse(body, pathType);
  if (result.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(result.rejected[0]?.reason)}`);
  const first = result.accepted[0];
  if (first === undefined || result.accepted.length !== 1) throw new Error('expected one accepted message');
  return first.message;
}

/** The single rejection. */
export function rejectOne(body: unknown, pathType: MessageType | 'batch' = 'track') {
  const result = parse(body, pathType);
  const first = result.rejected[0];
  if (first === undefined || result.rejected.length !== 1 || result.accepted.length !== 0) {
    throw new Error(`expected one rejection, got ${JSON.stringify(result)}`);
  }
  return first;
}
