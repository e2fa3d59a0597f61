// Appends to the embedded ingest log from a thread of its own. better-sqlite3 is synchronous,
// so a commit with synchronous=FULL would stop the HTTP thread for the length of an fsync;
// here the HTTP thread keeps reading and validating requests while the previous group
// commits. Each append is posted as soon as it is made, and the writer thread groups what
// waits into one commit (log-writer-worker.ts). A request still gets its 200 only after its
// own commit.
import { Worker } from 'node:worker_threads';
import type { AppendResult, DeadLetter, IngestLogStore, LogEntry } from '../store/index.ts';

export interface LogWriterData {
  logPath: string;
  /** Most messages one commit takes (a larger group waits for the next). */
  maxGroupMessages: number;
}

export type LogWriterRequest =
  | { kind: 'append'; id: number; entries: FlatEntries; deadLetters: DeadLetter[] }
  | { kind: 'close' };

/**
 * Entries as [messageId, source, receivedAt, json, messageId, …]: postMessage copies a flat
 * array of strings faster than objects, whose keys it writes out again for every entry.
 */
export type FlatEntries = string[];

const FIELDS = 4;

export function flattenEntries(entries: LogEntry[]): FlatEntries {
  const flat: string[] = new Array(entries.length * FIELDS);
  let at = 0;
  for (const entry of entries) {
    flat[at++] = entry.messageId;
    flat[at++] = entry.source;
    flat[at++] = entry.receivedAt;
    flat[at++] = entry.json;
  }
  return flat;
}

export function unflattenEntries(flat: FlatEntries): LogEntry[] {
  const entries: LogEntry[] = new Array(flat.length / FIELDS);
  for (let i = 0, at = 0; at < flat.length; i++, at += FIELDS) {
    entries[i] = {
      messageId: flat[at] as string,
      source: flat[at + 1] as string,
      receivedAt: flat[at + 2] as string,
      json: flat[at + 3] as string,
    };
  }
  return entries;
}

export type LogWriterReply =
  | { kind: 'ready' }
  | { kind: 'closed' }
  | { kind: 'appended'; ids: number[]; results: AppendResult[] }
  | { kind: 'failed'; ids: number[]; error: string };

type Appender = Pick<IngestLogStore, 'append'>;

export class ThreadedLogWriter implements Appender {
  /** Concurrent appends are grouped into one commit by the writer thread (GroupCommitLog passes them through). */
  readonly groupsCommits = true;
  private readonly pending = new Map<
    number,
    { resolve: (r: AppendResult) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private closed?: () => void;
  private gone: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: LogWriterReply) => this.receive(reply));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => this.failAll(new Error('the log writer thread exited')));
  }

  static async start(logPath: string, maxGroupMessages = 20_000): Promise<ThreadedLogWriter> {
    const worker = new Worker(new URL('./log-writer-entry.mjs', import.meta.url), {
      workerData: { logPath, maxGroupMessages } satisfies LogWriterData,
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: LogWriterReply) => {
        if (reply.kind !== 'ready') return;
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new ThreadedLogWriter(worker);
  }

  append(entries: LogEntry[], deadLetters: DeadLetter[] = []): Promise<AppendResult> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({
        kind: 'append',
        id,
        entries: flattenEntries(entries),
        deadLetters,
      } satisfies LogWriterRequest);
    });
  }

  async close(): Promise<void> {
    if (this.gone) return;
    const done = new Promise<void>((resolve) => {
      this.closed = resolve;
    });
    this.worker.postMessage({ kind: 'close' } satisfies LogWriterRequest);
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    await this.worker.terminate();
    this.failAll(new Error('the log writer is closed'));
  }

  private receive(reply: LogWriterReply): void {
    if (reply.kind === 'closed') {
      this.closed?.();
      return;
    }
    if (reply.kind === 'ready') return;
    reply.ids.forEach((id, index) => {
      const call = this.pending.get(id);
      this.pending.delete(id);
      if (reply.kind === 'appended') call?.resolve(reply.results[index] as AppendResult);
      else call?.reject(new Error(reply.error));
    });
  }

  private failAll(error: Error): void {
    this.gone ??= error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}
