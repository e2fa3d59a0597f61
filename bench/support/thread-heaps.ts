// Every JavaScript heap of this process, without changing the code that runs in them: an
// in-process inspector session attaches to each worker thread (the NodeWorker domain) and asks
// its isolate for Runtime.getHeapUsage, so the pipeline worker's and the log writer's heaps can
// be read beside the main thread's `process.memoryUsage()`. The same sessions take a worker's
// heap snapshot (HeapProfiler), streamed to a file. Node 20 has no worker.getHeapStatistics().
import { closeSync, openSync, writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

export interface HeapUsage {
  /** Bytes of live and not yet collected objects. */
  usedMb: number;
  /** Bytes V8 has reserved for the heap (what the heap takes of RSS). */
  totalMb: number;
}

interface AttachedWorker {
  sessionId: string;
  /**
   * Its entry script's file name (pipeline-worker-entry, log-writer-entry; module-hooks for the
   * threads of tsx's loader hooks), numbered when repeated.
   */
  label: string;
}

type Pending = { resolve: (result: unknown) => void; reject: (error: Error) => void };

const MB = 2 ** 20;

export class ThreadHeaps {
  private readonly session = new Session();
  private readonly workers = new Map<string, AttachedWorker>();
  private readonly pending = new Map<number, Pending>();
  private readonly chunkSinks = new Map<string, (chunk: string) => void>();
  private nextId = 1;

  private constructor() {}

  static async attach(): Promise<ThreadHeaps> {
    const heaps = new ThreadHeaps();
    heaps.session.connect();
    heaps.session.on('NodeWorker.attachedToWorker', ({ params }) => heaps.onAttached(params));
    heaps.session.on('NodeWorker.detachedFromWorker', ({ params }) => heaps.workers.delete(params.sessionId));
    heaps.session.on('NodeWorker.receivedMessageFromWorker', ({ params }) =>
      heaps.onWorkerMessage(params.sessionId, params.message),
    );
    // Workers started before and after this call are both attached; none waits for a debugger.
    await heaps.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    return heaps;
  }

  /** The labels of the worker threads attached now. */
  labels(): string[] {
    return [...this.workers.values()].map((w) => w.label).sort();
  }

  /** The main thread's heap and each worker's, by label ('main' for this thread). */
  async usage(): Promise<Record<string, HeapUsage>> {
    const main = process.memoryUsage();
    const out: Record<string, HeapUsage> = {
      main: { usedMb: main.heapUsed / MB, totalMb: main.heapTotal / MB },
    };
    for (const worker of this.workers.values()) {
      const result = (await this.askWorker(worker.sessionId, 'Runtime.getHeapUsage').catch(
        () => undefined,
      )) as { usedSize: number; totalSize: number } | undefined;
      if (result) out[worker.label] = { usedMb: result.usedSize / MB, totalMb: result.totalSize / MB };
    }
    return out;
  }

  /** A full garbage collection in every isolate, so the next `usage()` reads what is live. */
  async collectGarbage(): Promise<void> {
    await this.post('HeapProfiler.collectGarbage', {});
    for (const worker of this.workers.values()) {
      await this.askWorker(worker.sessionId, 'HeapProfiler.collectGarbage').catch(() => undefined);
    }
  }

  /**
   * Heap snapshots of the main thread (v8.writeHeapSnapshot) and of every worker, into `dir` as
   * `<prefix>-<label>.heapsnapshot`. Each stops its thread for the time it takes (seconds).
   */
  async snapshots(dir: string, prefix: string): Promise<Record<string, string>> {
    const files: Record<string, string> = { main: writeHeapSnapshot(`${dir}/${prefix}-main.heapsnapshot`) };
    for (const worker of this.workers.values()) {
      const file = `${dir}/${prefix}-${worker.label}.heapsnapshot`;
      const fd = openSync(file, 'w');
      this.chunkSinks.set(worker.sessionId, (chunk) => writeSync(fd, chunk));
      try {
        await this.askWorker(worker.sessionId, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
        files[worker.label] = file;
      } finally {
        this.chunkSinks.delete(worker.sessionId);
        closeSync(fd);
      }
    }
    return files;
  }

  detach(): void {
    for (const call of this.pending.values()) call.reject(new Error('detached'));
    this.pending.clear();
    this.session.disconnect();
  }

  private onAttached(params: { sessionId: string; workerInfo: { url: string; title: string } }): void {
    const { url, title } = params.workerInfo;
    // tsx's module hooks run in a thread of their own per thread that loads TypeScript.
    const name = url.startsWith('node:internal/modules/esm/worker')
      ? 'module-hooks'
      : url
        ? basename(new URL(url).pathname).replace(/\.[cm]?[jt]s$/, '')
        : title;
    const taken = new Set([...this.workers.values()].map((w) => w.label));
    let label = name;
    for (let n = 2; taken.has(label); n++) label = `${name}#${n}`;
    this.workers.set(params.sessionId, { sessionId: params.sessionId, label });
  }

  private onWorkerMessage(sessionId: string, text: string): void {
    const message = JSON.parse(text) as {
      id?: number;
      method?: string;
      params?: { chunk?: string };
      result?: unknown;
      error?: { message: string };
    };
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk' && message.params?.chunk !== undefined) {
      this.chunkSinks.get(sessionId)?.(message.params.chunk);
      return;
    }
    if (message.id === undefined) return;
    const call = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (message.error) call?.reject(new Error(message.error.message));
    else call?.resolve(message.result);
  }

  private askWorker(sessionId: string, method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      }).catch((error: Error) => {
        this.pending.delete(id);
        reject(error);
      });
    });
  }

  private post(method: string, params: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // The typed overloads list each method; this class sends several through one path.
      (this.session.post as (m: string, p: object, cb: (e: Error | null, r?: unknown) => void) => void)(
        method,
        params,
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
  }
}
