// What every conductor step is handed: the stores, the journey catalog, the channels, the
// arbitration policy and the clock (injected, so tests move time without a public API).
import type { ConductorStore, SegmentStore, StateStore } from '../../store/index.ts';
import type { ArbitrationPolicy } from '../arbitration/types.ts';
import type { JourneyCatalog } from './catalog.ts';
import type { ChannelRegistry } from './channels.ts';
import type { RunnerContext } from './runner.ts';

export type Clock = () => Date;

export interface ConductorState {
  state: StateStore;
  store: ConductorStore;
  catalog: JourneyCatalog;
  runner: RunnerContext;
  channels: ChannelRegistry;
  policy: ArbitrationPolicy;
  /** Reads the policy as stored now (API edits); the outbox calls it before each batch. */
  loadPolicy?: (() => Promise<ArbitrationPolicy>) | undefined;
  /** Live segment membership (branch rules with `in_segment`, broadcasts); undefined on PostgreSQL for now. */
  segments?: SegmentStore | undefined;
  /** The current instant, ISO. */
  now(): string;
}

export const DEFAULT_POLICY: ArbitrationPolicy = { caps: [], quietHours: undefined, defaultTimeZone: 'UTC' };
