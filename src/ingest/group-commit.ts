// Group commit: concurrent requests queue their messages, one transaction commits them all,
// and every request's promise resolves only after that commit. One fsync then serves many
// requests, which is what makes "a 200 means durably stored" affordable. An appender that
// groups by itself (the embedded log's writer thread, which commits everything posted while
// its last fsync ran) gets each append at once: queueing here too would make every commit wait
// for this thread to see the last one's reply before the next group is even sent.
import { RapportError } from '../errors/index.ts';
import type { DeadLetter, IngestLogStore, LogEntry } from '../store/index.ts';

interface PendingAppend {
  entries: LogEntry[];
  deadLetters: DeadLetter[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

type Appender = Pick<IngestLogStore, 'append'> & {
  /** True when the appender itself groups concurrent appends into one commit, in order. */
  readonly groupsCommits?: boolean;
};

export interface GroupCommitOptions {
  /** Messages waiting for a commit beyond which new requests get 429 (backpressure). */
  maxPendingMessages: number;
  /** Largest number of messages one transaction takes. */
  maxBatchMessages: number;
  /** Called after each commit, e.g. to wake the processors. */
  onCommit?: (appended: number) => void;
}

export class GroupCommitLog {
  private queue: PendingAppend[] = [];
  private pendingMessages = 0;
  private flushing = false;
  private scheduled = false;
  private closed = false;
  /** Appends handed to a self-grouping appender and not yet settled. */
  private inFlight = 0;

  constructor(
    private readonly log: Appender,
    private readonly options: GroupCommitOptions,
  ) {}

  get pending(): number {
    return this.pendingMessages;
  }

  /** Resolves once the entries are committed (or were already in the log: same messageId). */
  append(entries: LogEntry[], deadLetters: DeadLetter[] = []): Promise<void> {
    if (this.closed) {
      // Retry-After so clients retry against the restarted (or another) server.
      return Promise.reject(
        new RapportError('RAPPORT_INGEST_UNAVAILABLE', 'the server is shutting down; retry', {
          retryAfterSeconds: 1,
        }),
      );
    }
    if (this.pendingMessages + entries.length > this.options.maxPendingMessages) {
      return Promise.reject(
        new RapportError(
          'RAPPORT_INGEST_OVERLOADED',
          'too many messages are waiting to be stored; retry shortly',
          {
            retryAfterSeconds: 1,
          },
        ),
      );
    }
    if (this.log.groupsCommits) return this.passThrough(entries, deadLetters);
    return new Promise((resolve, reject) => {
      this.queue.push({ entries, deadLetters, resolve, reject });
      this.pendingMessages += entries.length;
      this.schedule();
    });
  }

  private async passThrough(entries: LogEntry[], deadLetters: DeadLetter[]): Promise<void> {
    this.pendingMessages += entries.length;
    this.inFlight++;
    try {
      const result = await this.log.append(entries, deadLetters);
      this.options.onCommit?.(result.appended);
    } catch (error) {
      throw unavailable(error);
    } finally {
      this.pendingMessages -= entries.length;
      this.inFlight--;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate lets every request already parsed in this turn join the same commit.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private takeBatch(): PendingAppend[] {
    const batch: PendingAppend[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as PendingAppend;
      if (batch.length > 0 && size + next.entries.length > this.options.maxBatchMessages) break;
      batch.push(next);
      size += next.entries.length;
      this.queue.shift();
    }
    return batch;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) await this.commit(this.takeBatch());
    } finally {
      this.flushing = false;
    }
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    const entries = batch.flatMap((item) => item.entries);
    const deadLetters = batch.flatMap((item) => item.deadLetters);
    try {
      const result = await this.log.append(entries, deadLetters);
      this.settle(batch, entries.length);
      this.options.onCommit?.(result.appended);
    } catch (error) {
      this.pendingMessages -= entries.length;
      const failure = unavailable(error);
      for (const item of batch) item.reject(failure);
    }
  }

  private settle(batch: PendingAppend[], total: number): void {
    this.pendingMessages -= total;
    for (const item of batch) item.resolve();
  }

  /** Stops taking new appends and waits for the queue to drain. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length > 0 || this.inFlight > 0)
      await new Promise((r) => setTimeout(r, 5));
  }
}

function unavailable(error: unknown): RapportError {
  return new RapportError('RAPPORT_INGEST_UNAVAILABLE', 'the ingest log could not be written; retry', {
    retryAfterSeconds: 1,
    cause: error instanceof Error ? error.message : String(error),
  });
}
