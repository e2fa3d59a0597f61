// What log compaction may remove, as pure functions (the runner in src/pipeline/compaction.ts
// does the I/O). An entry goes only when every reader of the log has committed past it AND it
// was received before the retention window. Compaction removes a prefix of the log, in seq
// order, like Kafka drops its oldest segments: the log stays a contiguous suffix, and an
// entry received out of order (an older receivedAt behind a younger one) just waits a little.

/** Where every reader of the log stands. */
export interface ReaderLimit {
  /** The highest seq every reader has committed: nothing above it may be removed. */
  seq: number;
  /** The readers at that seq, the ones holding compaction back (empty when there are none). */
  heldBackBy: string[];
}

/**
 * The highest seq every reader has passed. `required` readers count as 0 when they have no
 * offset yet: a processor that has never run holds everything, so nothing it has not read is
 * ever removed. With no reader at all nothing is known to be read, so nothing goes.
 */
export function readerLimit(offsets: Record<string, number>, required: readonly string[]): ReaderLimit {
  const all: Record<string, number> = {};
  for (const name of required) all[name] = 0;
  for (const [name, seq] of Object.entries(offsets)) all[name] = seq;
  const names = Object.keys(all).sort();
  if (names.length === 0) return { seq: 0, heldBackBy: [] };
  const seq = Math.min(...names.map((name) => all[name] as number));
  return { seq, heldBackBy: names.filter((name) => all[name] === seq) };
}

export interface EntryTime {
  seq: number;
  receivedAt: string;
}

export interface PrefixStep {
  /** Remove every entry at or below this seq; null: nothing in this chunk may go. */
  throughSeq: number | null;
  /** How many of the chunk's entries that is. */
  count: number;
  /** A limit stopped the prefix inside the chunk: there is nothing more to look at. */
  reachedLimit: boolean;
}

/**
 * The removable prefix of a chunk of the oldest entries (in seq order): entries at or below
 * `throughSeq` received before `cutoffMs`. Stops at the first entry that is not removable.
 */
export function removablePrefix(
  chunk: readonly EntryTime[],
  limits: { throughSeq: number; cutoffMs: number },
): PrefixStep {
  let count = 0;
  for (const entry of chunk) {
    if (entry.seq > limits.throughSeq || !(Date.parse(entry.receivedAt) < limits.cutoffMs)) {
      return {
        throughSeq: count === 0 ? null : (chunk[count - 1] as EntryTime).seq,
        count,
        reachedLimit: true,
      };
    }
    count += 1;
  }
  return { throughSeq: count === 0 ? null : (chunk[count - 1] as EntryTime).seq, count, reachedLimit: false };
}

/** Entries received before this instant are old enough to go; null retention: none ever are. */
export function retentionCutoff(now: Date, retentionMs: number | null): number {
  return retentionMs === null ? Number.NEGATIVE_INFINITY : now.getTime() - retentionMs;
}
