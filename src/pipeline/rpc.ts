// The messages between the HTTP thread and the pipeline worker. The worker owns the event
// store (an embedded DuckDB file can be opened by one thread only), so event queries from
// the API travel here as requests.
import type { EventReader } from '../store/index.ts';
import type { CompactionReport } from './compaction.ts';

export type ReaderMethod = keyof EventReader;

export type ToWorker =
  | { kind: 'wake' }
  | { kind: 'stop' }
  | { kind: 'query'; id: number; method: ReaderMethod; args: unknown[] }
  /** Compact the ingest log now (after a run already going); answered with its report. */
  | { kind: 'compact'; id: number }
  /** Replay a quarantined message through this processor (docs/quarantine.md). */
  | { kind: 'replay'; id: number; processor: string; quarantineId: number }
  /** The consent purposes now (one added or retired through the API, docs/privacy.md). */
  | { kind: 'purposes'; purposes: string[] };

export interface PipelineStatus {
  profilesOffset: number;
  warehouseOffset: number;
  /** The realtime (segments) processor's offset; absent when it does not run. */
  segmentsOffset?: number;
  lastError: string | null;
  /** The last log compaction this worker ran; absent before its first. */
  lastCompaction?: CompactionReport;
}

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'stopped' }
  | { kind: 'status'; status: PipelineStatus }
  | { kind: 'answer'; id: number; value?: unknown; error?: string }
  | { kind: 'error'; error: string }
  | { kind: 'fatal'; error: string };
