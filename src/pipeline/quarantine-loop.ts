// Poison-message quarantine, the I/O (docs/quarantine.md). A processor's step that fails is
// retried with backoff (p-retry); a transient failure (a lock, the disk, the database going
// away: quarantine.ts) goes back to the loop, which reports it and retries for as long as it
// lasts. Any other failure is cut down to the entry that fails by running the step over
// smaller pieces from the same offset, so the good entries before it land; that entry, retried
// alone, is set aside in a quarantine row in the transaction that moves the offset past it,
// and the processor goes on. More than RAPPORT_QUARANTINE_MAX_CONSECUTIVE in a row: the guard
// stops setting aside and the processor retries instead, reporting the error.
import pRetry from 'p-retry';
import type {
  IngestLogStore,
  LogRecord,
  QuarantineEntry,
  QuarantineStore,
  StoredQuarantineEntry,
} from '../store/index.ts';
import { type LoopHandle, type LoopOptions, startLoop } from './loop.ts';
import {
  afterProbe,
  describeFailure,
  firstProbe,
  type IsolationStep,
  isContentRefusal,
  isTransientError,
  type ProbeOutcome,
  type QuarantinePolicy,
  quarantineRun,
  SystemicFailure,
} from './quarantine.ts';

/** What setting an entry aside writes, bound to one processor, in its offset's transaction. */
export interface OffsetTransaction {
  /** The `consecutive` of this processor's quarantine row at seq (0: that entry was applied). */
  consecutiveAt(seq: number): Promise<number>;
  put(entry: QuarantineEntry): Promise<void>;
  setOffset(seq: number): Promise<void>;
}

export type ReplayResult =
  | { outcome: 'replayed'; entry: StoredQuarantineEntry }
  /** No such row for this processor: already replayed or discarded. */
  | { outcome: 'gone' }
  /** Another process holds the processor right now (PostgreSQL), or segments are being built. */
  | { outcome: 'busy'; reason: string }
  /** The message failed again: the row keeps it, with one more attempt and this error. */
  | { outcome: 'failed'; error: string; entry: StoredQuarantineEntry | undefined }
  /** A transient failure (lock, disk, connection): nothing was recorded; try again. */
  | { outcome: 'unavailable'; error: string };

/** A log processor as the quarantine sees it: each one adapts itself (processors.ts, segments/live/processor.ts, conductor/runtime/journeys-processor.ts). */
export interface QuarantinableProcessor {
  readonly name: string;
  /** The most entries its usual step reads: the first isolation window. */
  readonly batchSize: number;
  readonly log: IngestLogStore;
  /** Quarantine rows as this process reads them (lists, failed replays). */
  readonly quarantine: QuarantineStore;
  /**
   * One step. With `limit`: only the next log entries (at most that many), none of the
   * processor's other work, so a probe fails only on the entries it was given.
   */
  step(limit?: number): Promise<number>;
  offset(): Promise<number>;
  /**
   * Runs `work` in the transaction that moves the offset; where one transaction cannot hold
   * both (the warehouse: DuckDB beside SQLite), the row is written first and the offset after,
   * and `put` is idempotent per (processor, seq). Undefined: another process holds the processor.
   */
  withOffset<T>(work: (tx: OffsetTransaction, offset: number) => Promise<T>): Promise<T | undefined>;
  /**
   * Applies a quarantined message now, out of order, without moving the offset, and removes its
   * row (with what it produced, where one transaction holds both). Throws when it fails.
   */
  replay(id: number): Promise<Exclude<ReplayResult, { outcome: 'failed' | 'unavailable' }>>;
}

export interface QuarantineEvents {
  /** An entry was set aside (for the log: it is a warning, the processor goes on). */
  onQuarantine?(entry: QuarantineEntry): void;
}

function retried<T>(work: () => Promise<T>, policy: QuarantinePolicy, onFailure?: (error: unknown) => void) {
  return pRetry(work, {
    retries: policy.retries,
    minTimeout: policy.retryDelayMs,
    factor: 2,
    onFailedAttempt: ({ error }) => onFailure?.(error),
    // A transient failure goes straight back to the loop: it retries for as long as it lasts.
    shouldRetry: ({ error }) => !isTransientError(error),
  });
}

/**
 * The processor's step with retries and isolation: resolves how many entries it applied or
 * set aside; rejects (for the loop to report and back off) on a transient failure, on a
 * failure the pieces did not reproduce, and when the guard stops a run of set-aside entries.
 */
export async function runGuardedStep(
  processor: QuarantinableProcessor,
  policy: QuarantinePolicy,
  events: QuarantineEvents = {},
): Promise<number> {
  let failure: unknown;
  try {
    return await retried(() => processor.step(), policy);
  } catch (error) {
    if (isTransientError(error)) throw error;
    failure = error;
  }
  return isolate(processor, policy, failure, events);
}

async function isolate(
  processor: QuarantinableProcessor,
  policy: QuarantinePolicy,
  failure: unknown,
  events: QuarantineEvents,
): Promise<number> {
  let applied = 0;
  let latest = failure;
  let step: IsolationStep = firstProbe(processor.batchSize);
  while (step.next === 'probe') {
    let outcome: ProbeOutcome;
    try {
      outcome = { ok: true, applied: await processor.step(step.limit) };
      applied += outcome.applied;
    } catch (error) {
      if (isTransientError(error)) throw error;
      latest = error;
      outcome = { ok: false };
    }
    step = afterProbe(step.window, step.limit, outcome);
  }
  if (step.next === 'gone') {
    // Smaller pieces all applied: the failure was not in one entry (or went away). Progress
    // is progress; with none, the loop reports the failure and retries.
    if (applied > 0) return applied;
    throw failure;
  }
  // The next entry fails on its own. Once more, alone, with backoff, before setting it aside.
  const offset = await processor.offset();
  let attempts = 0;
  try {
    const alone = await retried(
      () => processor.step(1),
      policy,
      (error) => {
        attempts += 1;
        latest = error;
      },
    );
    return applied + alone;
  } catch (error) {
    if (isTransientError(error)) throw error;
    latest = error;
  }
  const described = describeFailure(latest);
  const refused = isContentRefusal(latest);
  const at = new Date().toISOString();
  const result = await processor.withOffset(async (tx, current) => {
    // Another process moved the offset meanwhile: what failed here is no longer next.
    if (current !== offset) return { outcome: 'moved' as const };
    const [record] = await processor.log.read(current, 1);
    if (!record) return { outcome: 'moved' as const };
    const previous = await tx.consecutiveAt(current);
    const run = quarantineRun(previous, refused, policy);
    if (!run.allowed) return { outcome: 'refused' as const, run: previous };
    const entry = quarantineEntry(processor.name, record, described, at, Math.max(1, attempts), run.run);
    await tx.put(entry);
    await tx.setOffset(record.seq);
    return { outcome: 'quarantined' as const, entry };
  });
  if (result?.outcome === 'refused') throw new SystemicFailure(processor.name, result.run, latest);
  if (result?.outcome !== 'quarantined') return applied;
  events.onQuarantine?.(result.entry);
  return applied + 1;
}

export function quarantineEntry(
  processor: string,
  record: LogRecord,
  failure: { error: string; stack: string | null },
  at: string,
  attempts: number,
  consecutive: number,
): QuarantineEntry {
  return {
    processor,
    seq: record.seq,
    messageId: record.messageId,
    source: record.source,
    receivedAt: record.receivedAt,
    body: record.json,
    error: failure.error,
    stack: failure.stack,
    firstFailedAt: at,
    lastFailedAt: at,
    attempts,
    consecutive,
  };
}

/** The log record a quarantine row was made from, for a replay. */
export function recordOf(entry: StoredQuarantineEntry): LogRecord {
  return {
    seq: entry.seq,
    messageId: entry.messageId,
    source: entry.source,
    receivedAt: entry.receivedAt,
    json: entry.body,
  };
}

/**
 * Replays one quarantined message through its processor. A failure is recorded on the row (one
 * more attempt, the newest error) unless it is transient, which records nothing.
 */
export async function replayQuarantined(
  processor: QuarantinableProcessor,
  id: number,
): Promise<ReplayResult> {
  try {
    return await processor.replay(id);
  } catch (error) {
    const described = describeFailure(error);
    if (isTransientError(error)) return { outcome: 'unavailable', error: described.error };
    const recorded = await processor.quarantine.recordFailure(id, {
      ...described,
      at: new Date().toISOString(),
    });
    if (!recorded) return { outcome: 'gone' };
    return { outcome: 'failed', error: described.error, entry: await processor.quarantine.get(id) };
  }
}

export interface ProcessorLoop extends LoopHandle {
  /** Replays a quarantined message between two steps of this processor (never during one). */
  replay(id: number): Promise<ReplayResult>;
}

/** startLoop over the guarded step, with replays run between steps. */
export function startProcessorLoop(
  processor: QuarantinableProcessor,
  policy: QuarantinePolicy,
  options: LoopOptions & QuarantineEvents,
): ProcessorLoop {
  const loop = startLoop(() => runGuardedStep(processor, policy, options), options);
  return { ...loop, replay: (id) => loop.exclusive(() => replayQuarantined(processor, id)) };
}
