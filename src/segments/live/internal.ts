// The events the realtime processor writes into the log. Rules never see them (the processor
// skips them and the SQL reads events without them), so a rule such as "entered vip" cannot
// chase its own output; their names are reserved.
import type { SegmentEvent } from '../incremental/state.ts';

export const INTERNAL_EVENTS: ReadonlySet<string> = new Set([
  'Segment Entered',
  'Segment Exited',
  'Lifecycle Stage Changed',
]);

/** The source name the log records for them. */
export const SEGMENTS_SOURCE = 'rapport-segments';

export function isInternalEvent(event: Pick<SegmentEvent, 'type' | 'name'>): boolean {
  return event.type === 'track' && event.name !== null && INTERNAL_EVENTS.has(event.name);
}
