// Erasure's barrier (docs/privacy.md): a person is gone everywhere only once every processor has
// read the log past the erasure, so none of them can write the person back afterwards. That is
// the profiles processor, every processor the state store keeps an offset for (realtime,
// journeys, loyalty…) and the warehouse, whose offset lives with the warehouse.
import type { StateStore } from '../store/index.ts';
import { PROFILES_PROCESSOR, WAREHOUSE_PROCESSOR } from './steps.ts';

export function everyProcessorPassed(
  state: Pick<StateStore, 'getOffset' | 'listProcessorOffsets'>,
  warehouse: { getOffset(processor: string): Promise<number> },
): (seq: number) => Promise<boolean> {
  return async (seq) =>
    (await state.getOffset(PROFILES_PROCESSOR)) >= seq &&
    Object.values(await state.listProcessorOffsets()).every((offset) => offset >= seq) &&
    (await warehouse.getOffset(WAREHOUSE_PROCESSOR)) >= seq;
}
