// Computed properties (CLV, churn risk, persona…) are written by other modules without an
// event, so nothing would tell the realtime processor that a rule reading one may now hold
// for someone else. This wraps the state store those modules write through: every write asks
// for the people written to be re-evaluated (SegmentStore.requestRechecks), and the processor
// re-reads their computed properties when it does (live/processor.ts).
import type { ComputedProperty, SegmentStore } from '../../store/index.ts';

interface WritesComputed {
  setComputedProperties(rows: ComputedProperty[]): Promise<void>;
}

export function recheckSegmentsOnComputedWrites<T extends WritesComputed>(
  state: T,
  segments: Pick<SegmentStore, 'requestRechecks'>,
  now: () => Date,
): T {
  const setComputedProperties = async (rows: ComputedProperty[]) => {
    await state.setComputedProperties(rows);
    await segments.requestRechecks([...new Set(rows.map((r) => r.profileId))], now().getTime());
  };
  return new Proxy(state, {
    get(target, property) {
      if (property === 'setComputedProperties') return setComputedProperties;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
