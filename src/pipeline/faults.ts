// Tests only: make a processor fail on chosen messages, as a bug in it or a store refusing a
// value would, to exercise the quarantine (docs/quarantine.md) through the real processors.
// Plain data, so it crosses into the pipeline worker; reachable only through createServer's
// options (no flag, no environment variable), so a deployed server never carries one.
import type { SegmentMessage } from '../events/index.ts';

export interface InjectedFault {
  /** profiles, warehouse, segments or journeys. */
  processor: string;
  /** The messages it fails on. */
  messageIds: string[];
  /**
   * poison (default): a plain error, as a bug throws. transient: an error carrying SQLite's
   * SQLITE_BUSY code, which the quarantine must never set a message aside for.
   */
  kind?: 'poison' | 'transient';
}

/** Throws when a fault names this processor and message. */
export function failIfInjected(
  faults: readonly InjectedFault[] | undefined,
  processor: string,
  message: SegmentMessage,
): void {
  if (!faults) return;
  for (const fault of faults) {
    if (fault.processor !== processor || !fault.messageIds.includes(message?.messageId)) continue;
    if (fault.kind === 'transient')
      throw Object.assign(new Error(`injected: database is busy (${message.messageId})`), {
        code: 'SQLITE_BUSY',
      });
    throw new Error(`injected failure of ${processor} on ${message.messageId}`);
  }
}
