// Log compaction: removes the oldest entries of the ingest log once every reader has
// committed past them and they are older than the retention window (the rules are pure, in
// src/ingest/retention.ts). It runs in the pipeline worker, never on the HTTP thread, and
// deletes in chunks of one transaction each, pausing between chunks at least as long as the
// chunk held the log's write lock: the log writer waits for that lock by sleeping and
// retrying, and a compactor that took the lock back at once could keep it from ever landing.
// Then it gives the freed pages back to the file system (SQLite incremental vacuum), in
// bounded steps as well. docs/architecture.md, "Retention and compaction".
import { setTimeout as sleep } from 'node:timers/promises';
import { readerLimit, removablePrefix, retentionCutoff } from '../ingest/index.ts';
import type { IngestLogStore } from '../store/index.ts';
import { LOG_READERS } from './readers.ts';
import type { CompactionReport } from './schema.ts';

export interface CompactionSettings {
  /** null: keep every entry (compaction removes nothing). */
  retentionMs: number | null;
  /** Entries per delete transaction: an append waits for the write lock at most one chunk. */
  chunkSize: number;
  /** Pages per incremental-vacuum step. */
  vacuumPages: number;
  now: () => Date;
  /** Waits between two chunks, given how long the last one took (ms). */
  pause?: (heldMs: number) => Promise<void>;
  /** Checked between chunks: true ends the run there (the worker is stopping). */
  stopping?: () => boolean;
}

/**
 * Entries per delete transaction. About 6 µs an entry of 700 bytes on the development machine
 * (synchronous=FULL): 2,000 hold the log's write lock about 12 ms, 5,000 about 33 ms.
 */
export const DEFAULT_COMPACTION_CHUNK = 2000;
/** 2,000 pages of 4 KB: 8 MB per vacuum step, a few ms each. */
export const DEFAULT_VACUUM_PAGES = 2000;

/** A compaction run's report (GET /api/log's lastRun, POST /api/log/compact): the schema's type. */
export type { CompactionReport };

export interface CompactionSources {
  log: Pick<IngestLogStore, 'entryTimes' | 'compactThrough' | 'reclaimSpace'>;
  /** Every reader's committed offset (readers.ts, logReaderOffsets). */
  readerOffsets(): Promise<Record<string, number>>;
}

const defaultPause = (heldMs: number) => sleep(Math.max(10, Math.ceil(heldMs)));

/** One compaction run. Safe to run in several processes at once (PostgreSQL): deletes are idempotent. */
export async function compactLog(
  sources: CompactionSources,
  settings: CompactionSettings,
): Promise<CompactionReport> {
  const pause = settings.pause ?? defaultPause;
  const stopping = settings.stopping ?? (() => false);
  const startedAt = settings.now();
  // Offsets only move forward, so a limit read now stays safe for the whole run.
  const limit = readerLimit(await sources.readerOffsets(), LOG_READERS);
  const cutoffMs = retentionCutoff(startedAt, settings.retentionMs);
  let removed = 0;
  let chunks = 0;
  let after = 0;
  let removedThrough: number | null = null;
  while (limit.seq > 0 && settings.retentionMs !== null) {
    const entries = await sources.log.entryTimes(after, settings.chunkSize);
    const step = removablePrefix(entries, { throughSeq: limit.seq, cutoffMs });
    if (step.throughSeq === null) break;
    const began = performance.now();
    removed += await sources.log.compactThrough(step.throughSeq, settings.now().toISOString());
    chunks += 1;
    after = removedThrough = step.throughSeq;
    if (step.reachedLimit || stopping()) break;
    await pause(performance.now() - began);
  }
  let reclaimedBytes = 0;
  for (;;) {
    const began = performance.now();
    const bytes = await sources.log.reclaimSpace(settings.vacuumPages);
    if (bytes === 0) break;
    reclaimedBytes += bytes;
    if (stopping()) break;
    await pause(performance.now() - began);
  }
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: settings.now().toISOString(),
    cutoff: settings.retentionMs === null ? null : new Date(cutoffMs).toISOString(),
    readersAt: limit.seq,
    heldBackBy: limit.heldBackBy,
    removed,
    chunks,
    removedThrough,
    reclaimedBytes,
  };
}
