// Starts the pipeline worker and gives the HTTP thread a handle: wake it after a commit,
// query events through it, read its progress, stop it.
import { Worker } from 'node:worker_threads';
import type { EventQuery, EventReader, StoredEvent } from '../store/index.ts';
import type { CompactionReport } from './compaction.ts';
import type { ReplayResult } from './quarantine-loop.ts';
import type { FromWorker, PipelineStatus, ReaderMethod, ToWorker } from './rpc.ts';
import type { PipelineWorkerData } from './worker.ts';

export interface Pipeline extends EventReader {
  wake(): void;
  status(): PipelineStatus;
  /** Resolves once both processors have reached `seq` (or rejects after timeoutMs). */
  waitFor(seq: number, timeoutMs?: number): Promise<void>;
  /** Replays a quarantined message through its processor in the worker (docs/quarantine.md). */
  replayQuarantined(processor: string, id: number): Promise<ReplayResult>;
  /** Resolves once the realtime (segments) processor has reached `seq`. */
  waitForSegments(seq: number, timeoutMs?: number): Promise<void>;
  /** Compacts the ingest log in the worker now (after any run already going) and reports. */
  compactLog(): Promise<CompactionReport>;
  /** The consent purposes the profiles processor accepts from now on. */
  setConsentPurposes(purposes: readonly string[]): void;
  stop(): Promise<void>;
}

export interface PipelineLogger {
  error(message: string): void;
}

/**
 * `entry` is the worker thread's script: src/pipeline-worker-entry.mjs, named by the composition
 * root because it runs a capability (segments) that sits above the pipeline.
 */
export async function startPipeline(
  entry: URL,
  data: PipelineWorkerData,
  logger: PipelineLogger,
): Promise<Pipeline> {
  const worker = new Worker(entry, { workerData: data });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const waiters = new Set<() => void>();
  let status: PipelineStatus = { profilesOffset: 0, warehouseOffset: 0, lastError: null };
  let nextId = 1;
  let wakeScheduled = false;
  let stopped: (() => void) | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'ready') resolve();
      if (message.kind === 'fatal') reject(new Error(`pipeline worker failed to start: ${message.error}`));
      if (message.kind === 'error') logger.error(`pipeline: ${message.error}`);
      if (message.kind === 'stopped') stopped?.();
      if (message.kind === 'status') {
        status = message.status;
        for (const waiter of waiters) waiter();
      }
      if (message.kind === 'answer') {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) call?.reject(new Error(message.error));
        else call?.resolve(message.value);
      }
    });
    worker.on('error', (error) => {
      logger.error(`pipeline worker crashed: ${error.message}`);
      reject(error);
      for (const call of pending.values()) call.reject(error);
    });
  });
  await ready;

  const post = (message: ToWorker) => worker.postMessage(message);
  const ask = <T>(message: (id: number) => ToWorker): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      post(message(id));
    });
  const query = <T>(method: ReaderMethod, args: unknown[]): Promise<T> =>
    ask<T>((id) => ({ kind: 'query', id, method, args }));

  const waitUntil = (reached: () => boolean, seq: number, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!reached()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`pipeline did not reach seq ${seq} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    wake() {
      // Many commits in one turn need one wake-up, not one message each.
      if (wakeScheduled) return;
      wakeScheduled = true;
      queueMicrotask(() => {
        wakeScheduled = false;
        post({ kind: 'wake' });
      });
    },
    status: () => status,
    setConsentPurposes: (purposes) => post({ kind: 'purposes', purposes: [...purposes] }),
    replayQuarantined: (processor, quarantineId) =>
      ask<ReplayResult>((id) => ({ kind: 'replay', id, processor, quarantineId })),
    waitFor(seq: number, timeoutMs = 30_000) {
      return waitUntil(() => status.profilesOffset >= seq && status.warehouseOffset >= seq, seq, timeoutMs);
    },
    waitForSegments(seq: number, timeoutMs = 30_000) {
      return waitUntil(() => (status.segmentsOffset ?? 0) >= seq, seq, timeoutMs);
    },
    eventsOf: (q: EventQuery) => query<StoredEvent[]>('eventsOf', [q]),
    countEvents: () => query<number>('countEvents', []),
    countByMessageId: (ids: string[]) => query<Map<string, number>>('countByMessageId', [ids]),
    getOffset: (processor: string) => query<number>('getOffset', [processor]),
    query: (sql: string, params: unknown[] = []) => query<Record<string, unknown>[]>('query', [sql, params]),
    deleteEventsOf: (profileIds: string[]) => query<number>('deleteEventsOf', [profileIds]),
    async compactLog() {
      const report = await ask<CompactionReport>((id) => ({ kind: 'compact', id }));
      // The worker's status message that carries this report is sent after its answer (it
      // reads offsets first): without this, GET /api/log right after a compaction answered
      // could still say lastRun: null. Later status messages carry this report or a newer one.
      status = { ...status, lastCompaction: report };
      return report;
    },
    async stop() {
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
      });
      post({ kind: 'stop' });
      // Generous: terminating a worker while DuckDB closes is a native crash.
      await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
      await worker.terminate();
    },
  };
}
