// The profiles and warehouse processors as the quarantine sees them (quarantine-loop.ts): a
// step that can be limited to the next few entries, the transaction that moves the offset,
// and a replay of one quarantined message.
import type { SegmentMessage } from '../events/index.ts';
import type { EventStore, StateStore } from '../store/index.ts';
import { type QuarantinableProcessor, recordOf } from './quarantine-loop.ts';
import {
  applyProfileSlice,
  PROFILES_PROCESSOR,
  parse,
  runProfilesStep,
  runWarehouseStep,
  type StepOptions,
  WAREHOUSE_PROCESSOR,
  warehouseEventsOf,
} from './steps.ts';

/** A probe reads only its own few entries: never a cached slice of the usual size. */
function limited(options: StepOptions, limit: number | undefined): StepOptions {
  if (limit === undefined) return options;
  const { slices: _shared, ...rest } = options;
  return { ...rest, batchSize: limit };
}

export function profilesProcessor(state: StateStore, options: StepOptions): QuarantinableProcessor {
  return {
    name: PROFILES_PROCESSOR,
    batchSize: options.batchSize,
    log: state.log,
    quarantine: state.quarantine,
    step: (limit) => runProfilesStep(state, limited(options, limit)),
    offset: () => state.getOffset(PROFILES_PROCESSOR),
    withOffset: (work) =>
      state.withProcessorLock(PROFILES_PROCESSOR, (tx, offset) =>
        work(
          {
            consecutiveAt: (seq) => tx.quarantine.consecutiveAt(PROFILES_PROCESSOR, seq),
            put: (entry) => tx.quarantine.put(entry),
            setOffset: (seq) => tx.setOffset(seq),
          },
          offset,
        ),
      ),
    async replay(id) {
      // Under the processor's lock: the row's removal commits with the profile changes.
      const result = await state.withProcessorLock(PROFILES_PROCESSOR, async (tx) => {
        const entry = await tx.quarantine.get(id);
        if (!entry || entry.processor !== PROFILES_PROCESSOR) return { outcome: 'gone' as const };
        const record = recordOf(entry);
        await applyProfileSlice(tx, [record], parse([record]), options);
        await tx.quarantine.release(id);
        return { outcome: 'replayed' as const, entry };
      });
      return result ?? { outcome: 'busy', reason: 'another process is running the profiles processor' };
    },
  };
}

/**
 * The warehouse's offset is in the event store (DuckDB, or PostgreSQL's events) and its
 * quarantine rows in the state store: one transaction cannot hold both on the embedded engine.
 * So the row is written first, idempotently per (processor, seq), and the offset moved after:
 * a crash between the two finds the entry failing again, and the same row gets one more attempt.
 * A replay appends the event unless its messageId is already stored, then removes the row.
 */
export function warehouseProcessor(
  state: StateStore,
  events: EventStore,
  options: StepOptions,
): QuarantinableProcessor {
  return {
    name: WAREHOUSE_PROCESSOR,
    batchSize: options.batchSize,
    log: state.log,
    quarantine: state.quarantine,
    step: (limit) => runWarehouseStep(state, events, limited(options, limit)),
    offset: () => events.getOffset(WAREHOUSE_PROCESSOR),
    async withOffset(work) {
      return work(
        {
          consecutiveAt: (seq) => state.quarantine.consecutiveAt(WAREHOUSE_PROCESSOR, seq),
          put: (entry) => state.quarantine.put(entry),
          setOffset: (seq) => events.appendWithOffset(WAREHOUSE_PROCESSOR, [], seq),
        },
        await events.getOffset(WAREHOUSE_PROCESSOR),
      );
    },
    async replay(id) {
      const entry = await state.quarantine.get(id);
      if (!entry || entry.processor !== WAREHOUSE_PROCESSOR) return { outcome: 'gone' };
      const record = recordOf(entry);
      const messages: SegmentMessage[] = parse([record]);
      await events.appendReplayed(await warehouseEventsOf(state, [record], messages, options));
      await state.quarantine.release(id);
      return { outcome: 'replayed', entry };
    },
  };
}
