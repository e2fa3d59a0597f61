// Every processor that reads the ingest log, by the name its offset is committed under.
// Compaction (compaction.ts) removes only what all of them have committed past, and counts one
// that has no offset yet as 0. A new processor that reads the log belongs in this list; one
// that commits its offset in the state store's processor_offsets is honoured anyway once it
// has committed, but until then only this list protects what it has not read. An offset is all
// compaction looks at: a processor that moves past an entry it means to come back to (a
// quarantined message, say) must keep its own copy of that entry, not its seq.
import { SEGMENTS_PROCESSOR } from '../store/index.ts';
import { PROFILES_PROCESSOR, WAREHOUSE_PROCESSOR } from './steps.ts';

/** The conductor's journeys processor (src/conductor/runtime/journeys-processor.ts); its offset is in processor_offsets. */
export const JOURNEYS_PROCESSOR = 'journeys';

export const LOG_READERS: readonly string[] = [
  PROFILES_PROCESSOR,
  WAREHOUSE_PROCESSOR,
  SEGMENTS_PROCESSOR,
  JOURNEYS_PROCESSOR,
];

/**
 * Every reader's committed offset: the state store's processor_offsets (profiles, segments,
 * journeys, and any later processor keeping its offset there) and the warehouse's, which the
 * event store keeps with the events.
 */
export async function logReaderOffsets(sources: {
  state: { listProcessorOffsets(): Promise<Record<string, number>> };
  events: { getOffset(processor: string): Promise<number> };
}): Promise<Record<string, number>> {
  return {
    ...(await sources.state.listProcessorOffsets()),
    [WAREHOUSE_PROCESSOR]: await sources.events.getOffset(WAREHOUSE_PROCESSOR),
  };
}
