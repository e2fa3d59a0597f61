// Backpressure and failure of the group-committed log, at unit level. The store here is a fake
// on purpose: the states under test (a commit that has not finished yet while more requests
// arrive; a commit that throws) cannot be produced on demand with the real SQLite log without
// filling a disk or closing the database under a live server. The fake implements the same
// IngestLogStore interface and only lets the test decide when and how append settles.
import { describe, expect, it } from 'vitest';
import { isRapportError, type RapportError } from '../../src/errors/index.ts';
import { GroupCommitLog } from '../../src/ingest/index.ts';
import type { AppendResult, DeadLetter, IngestLogStore, LogEntry } from '../../src/store/index.ts';

class GatedStore implements IngestLogStore {
  /** As the embedded log's writer thread: takes every append at once and groups them itself. */
  constructor(readonly groupsCommits = false) {}
  appended: LogEntry[] = [];
  deadLetters: DeadLetter[] = [];
  failWith: Error | undefined;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};

  /** Makes every later append wait until release() is called. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open();
  }
  async append(entries: LogEntry[], deadLetters: DeadLetter[] = []): Promise<AppendResult> {
    await this.gate;
    if (this.failWith) throw this.failWith;
    this.appended.push(...entries);
    this.deadLetters.push(...deadLetters);
    return { appended: entries.length, duplicates: 0 };
  }
  async read() {
    return [];
  }
  async readContaining() {
    return [];
  }
  async deleteEntries() {
    return 0;
  }
  async deleteDeadLetters() {
    return 0;
  }
  async headSeq() {
    return this.appended.length;
  }
  async countEntries() {
    return this.appended.length;
  }
  async listDeadLetters() {
    return [];
  }
  async countDeadLetters() {
    return this.deadLetters.length;
  }
  async countDeadLettersByDay() {
    return {};
  }
  // Compaction is not what this fake is for: GroupCommitLog only appends.
  async entryTimes() {
    return [];
  }
  async compactThrough() {
    return 0;
  }
  async reclaimSpace() {
    return 0;
  }
  async stats(): Promise<never> {
    throw new Error('not used by GroupCommitLog');
  }
}

function entries(prefix: string, count: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    messageId: `${prefix}-${i}`,
    source: 'test',
    receivedAt: new Date(0).toISOString(),
    json: '{}',
  }));
}

async function rejectionOf(promise: Promise<unknown>): Promise<RapportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRapportError(error)) throw new Error(`expected a RapportError, got ${String(error)}`);
  return error;
}

describe.each([
  ['queued here, one append a group', false],
  ['passed through to an appender that groups itself', true],
])('GroupCommitLog, %s', (_mode, groupsCommits) => {
  it('answers 429 with a retry delay when too many messages wait, and takes them again once drained', async () => {
    const store = new GatedStore(groupsCommits);
    const log = new GroupCommitLog(store, { maxPendingMessages: 3, maxBatchMessages: 100 });
    store.hold();
    const first = log.append(entries('a', 2));
    expect(log.pending).toBe(2);

    const refused = await rejectionOf(log.append(entries('b', 2)));
    expect(refused.code).toBe('RAPPORT_INGEST_OVERLOADED');
    expect(refused.status).toBe(429);
    expect(refused.details?.retryAfterSeconds).toBeGreaterThan(0);
    // A request that still fits is queued, not refused.
    const fits = log.append(entries('c', 1));

    store.release();
    await Promise.all([first, fits]);
    expect(store.appended.map((e) => e.messageId)).toEqual(['a-0', 'a-1', 'c-0']);
    expect(log.pending).toBe(0);
    await log.append(entries('b', 2));
    expect(store.appended).toHaveLength(5);
    await log.close();
  });

  it('answers 503 with a retry delay when the log cannot be written, and recovers', async () => {
    const store = new GatedStore(groupsCommits);
    const log = new GroupCommitLog(store, { maxPendingMessages: 100, maxBatchMessages: 100 });
    store.failWith = new Error('SQLITE_FULL: database or disk is full');
    const failed = await rejectionOf(log.append(entries('x', 2), []));
    expect(failed.code).toBe('RAPPORT_INGEST_UNAVAILABLE');
    expect(failed.status).toBe(503);
    expect(failed.details?.retryAfterSeconds).toBeGreaterThan(0);
    expect(String(failed.details?.cause)).toContain('SQLITE_FULL');
    expect(log.pending).toBe(0);

    store.failWith = undefined;
    await log.append(entries('y', 1));
    expect(store.appended.map((e) => e.messageId)).toEqual(['y-0']);
    await log.close();
  });

  it('answers 503 with a retry delay once it is closing', async () => {
    const store = new GatedStore(groupsCommits);
    const log = new GroupCommitLog(store, { maxPendingMessages: 100, maxBatchMessages: 100 });
    await log.close();
    const refused = await rejectionOf(log.append(entries('z', 1)));
    expect(refused.status).toBe(503);
    expect(refused.details?.retryAfterSeconds).toBeGreaterThan(0);
    expect(store.appended).toEqual([]);
  });
});
