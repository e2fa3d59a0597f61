// Slices of the log the profiles step has committed, kept in memory for the processors that
// follow it in the same thread (warehouse, segments). Each of those used to read and parse
// the same entries again and look up the same identities: at full ingest load that was a
// third of the pipeline worker (docs/performance.md, "Processors in the server").
import type { SegmentMessage } from '../events/index.ts';
import type { LogRecord } from '../store/index.ts';

export interface ResolvedSlice {
  /** The offset the slice was read after: its first record is the log's next entry after it. */
  after: number;
  records: LogRecord[];
  messages: SegmentMessage[];
  /**
   * Each message's profile as the identity table stood when the slice committed: what a
   * lookup of the message's identifiers would have answered right then.
   */
  owners: Array<string | undefined>;
}

/** The records of consecutive cached slices, joined. */
export interface SliceRun {
  records: LogRecord[];
  messages: SegmentMessage[];
  owners: Array<string | undefined>;
}

const lastSeq = (slice: ResolvedSlice) => (slice.records.at(-1) as LogRecord).seq;

/**
 * Each consumer reads the cache from its own offset. The log is append-only, so the records
 * after an offset are the same whoever read them; a consumer whose offset matches no cached
 * slice (it fell behind the capacity, another process moved its offset) reads the log itself.
 */
export class SliceCache {
  private readonly slices = new Map<number, ResolvedSlice>();
  private readonly positions = new Map<string, number>();
  private records = 0;
  private lastTakenAt = 0;
  private largestSlice = 0;

  /**
   * @param consumers who takes slices; a slice is dropped once all of them are past it
   * @param maxRecords the memory bound: the oldest slices go first when it is exceeded
   * @param stallMs how long consumers may go without taking a slice before the profiles step
   *   stops waiting for them (a stuck consumer must not stop identity resolution)
   */
  constructor(
    private readonly consumers: readonly string[],
    private readonly maxRecords = 20_000,
    private readonly stallMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * True when the profiles step should wait for the consumers instead of reading further:
   * under a backlog it is the cheapest step and would run ahead until its slices fall out of
   * the cache, and then every consumer reads and parses the log again (a third more work).
   */
  holding(): boolean {
    // Room for one more slice as large as the largest so far, or the next put would evict
    // a slice a consumer still needs.
    const full = this.records + this.largestSlice > this.maxRecords;
    return full && this.now() - this.lastTakenAt < this.stallMs;
  }

  put(slice: ResolvedSlice): void {
    if (slice.records.length === 0 || this.slices.has(slice.after)) return;
    this.slices.set(slice.after, slice);
    this.records += slice.records.length;
    this.largestSlice = Math.max(this.largestSlice, slice.records.length);
    this.evict();
  }

  /**
   * The cached records after `after`, joined across consecutive slices while the run stays
   * within `limit` records (the first slice is always whole) and drops anything past `upTo`.
   * Undefined when no cached slice starts at `after`.
   */
  run(consumer: string, after: number, limit: number, upTo: number): SliceRun | undefined {
    this.positions.set(consumer, after);
    this.evict();
    let slice = this.slices.get(after);
    if (!slice) return undefined;
    this.lastTakenAt = this.now();
    // Most often the consumer takes one whole slice: hand it over as it is, no copy.
    const next = this.slices.get(lastSeq(slice));
    if (lastSeq(slice) <= upTo && (!next || slice.records.length + next.records.length > limit))
      return { records: slice.records, messages: slice.messages, owners: slice.owners };
    const run: SliceRun = { records: [], messages: [], owners: [] };
    while (slice) {
      if (run.records.length > 0 && run.records.length + slice.records.length > limit) break;
      for (const [index, record] of slice.records.entries()) {
        if (record.seq > upTo) return run.records.length > 0 ? run : undefined;
        run.records.push(record);
        run.messages.push(slice.messages[index] as SegmentMessage);
        run.owners.push(slice.owners[index]);
      }
      slice = this.slices.get(lastSeq(slice));
    }
    return run;
  }

  /** Records held, for tests and the memory bound. */
  get size(): number {
    return this.records;
  }

  private evict(): void {
    const known = this.consumers.map((consumer) => this.positions.get(consumer));
    const everyonePast = known.every((position) => position !== undefined)
      ? Math.min(...(known as number[]))
      : Number.NEGATIVE_INFINITY;
    for (const [after, slice] of this.slices) {
      if (lastSeq(slice) > everyonePast && this.records <= this.maxRecords) continue;
      this.slices.delete(after);
      this.records -= slice.records.length;
    }
  }
}
