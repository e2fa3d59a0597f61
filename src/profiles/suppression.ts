// Suppression: after an erasure, messages carrying one of the person's identifiers are dropped
// at ingest and counted, so the person does not come back. Only SHA-256 hashes of
// (kind, value) are stored. The ingest path asks a cached set: one hash per identifier of a
// message, and nothing at all while no one has been erased.
import { createHash } from 'node:crypto';
import type { SegmentMessage } from '../events/index.ts';
import { type IdentityConfig, lookupKeysOf } from '../identity/index.ts';
import type { IdentityKey, StateStore, Suppression } from '../store/index.ts';

export function identifierHash(kind: string, value: string): string {
  return createHash('sha256').update(`${kind}\u0001${value}`).digest('hex');
}

const entryKey = (kind: string, valueHash: string) => `${kind}\u0001${valueHash}`;

export interface ScreenOutcome<T> {
  kept: T[];
  /** Dropped messages per erasure job. */
  droppedByJob: Map<string, number>;
}

export class SuppressionList {
  private readonly jobs = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: StateStore,
    private readonly identity: IdentityConfig,
  ) {}

  get size(): number {
    return this.jobs.size;
  }

  /** Loads the store's suppressions; with refreshMs, again on that interval (other processes add some). */
  async load(refreshMs?: number): Promise<void> {
    this.addLocal(await this.state.listSuppressions());
    if (refreshMs && !this.timer) {
      this.timer = setInterval(() => {
        this.state.listSuppressions().then(
          (rows) => this.addLocal(rows),
          () => {},
        );
      }, refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes effect for the very next message screened in this process. */
  addLocal(rows: Suppression[]): void {
    for (const row of rows) this.jobs.set(entryKey(row.kind, row.valueHash), row.jobId);
  }

  jobOf(key: IdentityKey): string | undefined {
    return this.jobs.get(entryKey(key.kind, identifierHash(key.kind, key.value)));
  }

  /** Synchronous, so a caller can screen and queue its append in one turn of the event loop. */
  screen<T extends { message: SegmentMessage }>(accepted: T[]): ScreenOutcome<T> {
    const droppedByJob = new Map<string, number>();
    if (this.jobs.size === 0) return { kept: accepted, droppedByJob };
    const kept: T[] = [];
    for (const item of accepted) {
      const jobId = this.suppressingJob(item.message);
      if (jobId === undefined) kept.push(item);
      else droppedByJob.set(jobId, (droppedByJob.get(jobId) ?? 0) + 1);
    }
    return { kept, droppedByJob };
  }

  private suppressingJob(message: SegmentMessage): string | undefined {
    for (const key of lookupKeysOf([message], this.identity)) {
      const jobId = this.jobOf(key);
      if (jobId !== undefined) return jobId;
    }
    return undefined;
  }

  /** Adds the drops to each job's count (rare path: only when something was dropped). */
  async record(droppedByJob: Map<string, number>): Promise<void> {
    for (const [jobId, count] of droppedByJob) await this.state.addSuppressedCount(jobId, count);
  }
}
