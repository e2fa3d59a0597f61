// The pipeline worker thread: runs the profiles and warehouse processors over the ingest
// log, each from its own offset, the realtime (segments) processor its entry hands in,
// compacts the log behind every reader (compaction.ts), and answers event queries for the
// HTTP thread. The entry (src/pipeline-worker.ts) is a composition root like server.ts: it
// names the segments capability, which sits above the pipeline.
import { parentPort, workerData } from 'node:worker_threads';
import type { IdentityConfig } from '../identity/index.ts';
import type { EventReader, SegmentStore, StateStore } from '../store/index.ts';
import {
  type EventStore,
  openEventStore,
  openSegmentStore,
  openStateStore,
  SEGMENTS_PROCESSOR,
  type StorageLocation,
} from '../store/index.ts';
import { clockFrom } from './clock.ts';
import {
  type CompactionReport,
  compactLog,
  DEFAULT_COMPACTION_CHUNK,
  DEFAULT_VACUUM_PAGES,
} from './compaction.ts';
import type { InjectedFault } from './faults.ts';
import { profilesProcessor, warehouseProcessor } from './processors.ts';
import { DEFAULT_QUARANTINE_POLICY, type QuarantinePolicy } from './quarantine.ts';
import {
  type ProcessorLoop,
  type QuarantinableProcessor,
  type ReplayResult,
  replayQuarantined,
  startProcessorLoop,
} from './quarantine-loop.ts';
import { logReaderOffsets } from './readers.ts';
import type { FromWorker, ToWorker } from './rpc.ts';
import { SliceCache } from './slices.ts';
import { PROFILES_PROCESSOR, WAREHOUSE_PROCESSOR } from './steps.ts';

export interface PipelineWorkerData {
  location: StorageLocation;
  identity: IdentityConfig;
  consentPurposes?: readonly string[];
  batchSize: number;
  pollMs: number;
  /**
   * How long a processor that found less than a batch lets the log gather before its next
   * step (ms; loop.ts). Absent: DEFAULT_GATHER_MS. 0: a step on every commit.
   */
  gatherMs?: number;
  runProcessors: boolean;
  /** Tests move time through this (see clock.ts); absent: the wall clock. */
  clock?: SharedArrayBuffer;
  /** How long a consumed log entry is kept (ms); null: forever. Absent: 7 days. */
  logRetentionMs?: number | null;
  /** How often this worker compacts the log when it runs the processors (ms). Absent: 10 minutes. */
  logCompactionIntervalMs?: number;
  /** Retries, isolation and the consecutive guard (docs/quarantine.md). */
  quarantine?: QuarantinePolicy;
  /** Tests only (faults.ts). */
  faults?: InjectedFault[];
}

/** What the realtime processor is given: the worker's connections and the shared slices. */
export interface RealtimeStepContext {
  state: StateStore;
  events: EventStore;
  store: SegmentStore;
  identity: IdentityConfig;
  batchSize: number;
  now: () => Date;
  slices?: SliceCache;
  consentPurposes?: string[];
  faults?: InjectedFault[];
}

export type RealtimeProcessor = (context: RealtimeStepContext) => QuarantinableProcessor;

/**
 * 100 ms: at a steady load under capacity a step takes 100 ms of traffic or more instead of one
 * commit's, and an event still reaches its segments well within a second.
 */
export const DEFAULT_GATHER_MS = 100;

const port = parentPort;
const data = workerData as PipelineWorkerData;
const send = (message: FromWorker) => port?.postMessage(message);
let lastError: string | null = null;
let lastCompaction: CompactionReport | undefined;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.message}` : String(error);
}

async function answer(events: EventStore, message: Extract<ToWorker, { kind: 'query' }>): Promise<void> {
  try {
    const method = events[message.method] as (...args: unknown[]) => Promise<unknown>;
    const value = await method.apply(events, message.args);
    send({ kind: 'answer', id: message.id, value });
  } catch (error) {
    send({ kind: 'answer', id: message.id, error: describe(error) });
  }
}

async function main(realtime: RealtimeProcessor): Promise<void> {
  // Separate state connections: the profiles step holds a write transaction across awaits,
  // and the warehouse must not read its uncommitted identities.
  const profilesState = await openStateStore(data.location);
  const warehouseState = await openStateStore(data.location);
  const events = await openEventStore(data.location);
  const segmentsState = await openStateStore(data.location);
  const segmentStore = await openSegmentStore(data.location);
  const consentPurposes = data.consentPurposes ? [...data.consentPurposes] : undefined;
  const options = {
    batchSize: data.batchSize,
    identity: data.identity,
    // One array the steps read on every batch, changed in place when the purposes change.
    ...(consentPurposes ? { consentPurposes } : {}),
    // The warehouse and segments steps take what the profiles step read, parsed and resolved.
    slices: new SliceCache(
      data.runProcessors && segmentStore ? [WAREHOUSE_PROCESSOR, SEGMENTS_PROCESSOR] : [WAREHOUSE_PROCESSOR],
    ),
    ...(data.faults ? { faults: data.faults } : {}),
  };
  const policy = data.quarantine ?? DEFAULT_QUARANTINE_POLICY;
  const onError = (error: unknown) => {
    lastError = describe(error);
    send({ kind: 'error', error: lastError });
    // A processor that stopped makes no progress that would report it: report now.
    void reportStatus();
  };
  let reporting: Promise<void> = Promise.resolve();
  const reportStatus = (): Promise<void> => {
    reporting = reporting
      .then(async () => {
        send({
          kind: 'status',
          status: {
            profilesOffset: await warehouseState.getOffset(PROFILES_PROCESSOR),
            warehouseOffset: await events.getOffset(WAREHOUSE_PROCESSOR),
            ...(segmentStore ? { segmentsOffset: await segmentStore.getOffset() } : {}),
            lastError,
            ...(lastCompaction ? { lastCompaction } : {}),
          },
        });
      })
      .catch((error) => {
        lastError = describe(error);
      });
    return reporting;
  };
  let stopping = false;
  // Its own connections: its deletes take the log's write lock, never inside a processor's step.
  const compactionState = await openStateStore(data.location);
  const now = clockFrom(data.clock);
  let compacting: Promise<unknown> = Promise.resolve();
  // One run at a time: a request during a run waits for it, then runs against what is there now.
  const compact = (): Promise<CompactionReport> => {
    const run = compacting
      .catch(() => {})
      .then(() =>
        compactLog(
          {
            log: compactionState.log,
            readerOffsets: () => logReaderOffsets({ state: compactionState, events }),
          },
          {
            retentionMs: data.logRetentionMs === undefined ? 7 * 86_400_000 : data.logRetentionMs,
            chunkSize: DEFAULT_COMPACTION_CHUNK,
            vacuumPages: DEFAULT_VACUUM_PAGES,
            now,
            stopping: () => stopping,
          },
        ),
      )
      .then((report) => {
        lastCompaction = report;
        void reportStatus();
        return report;
      });
    compacting = run;
    return run;
  };
  let compactionTimer: NodeJS.Timeout | undefined;
  const scheduleCompaction = () => {
    // Timed from the end of a run, so a long first run (a log that grew for months) never
    // has a second one queued behind it.
    compactionTimer = setTimeout(() => {
      compact()
        .catch(onError)
        .finally(() => {
          if (compactionTimer) scheduleCompaction();
        });
    }, data.logCompactionIntervalMs ?? 600_000);
  };
  const onQuarantine = (entry: { processor: string; seq: number; messageId: string; error: string }) =>
    send({
      kind: 'error',
      error: `${entry.processor} set log entry ${entry.seq} (message ${entry.messageId}) aside in quarantine: ${entry.error}`,
    });
  const processors = new Map<string, QuarantinableProcessor>([
    [PROFILES_PROCESSOR, profilesProcessor(profilesState, options)],
    [WAREHOUSE_PROCESSOR, warehouseProcessor(warehouseState, events, options)],
  ]);
  if (segmentStore) {
    const context: RealtimeStepContext = {
      state: segmentsState,
      events,
      store: segmentStore,
      ...options,
      now: clockFrom(data.clock),
    };
    processors.set(SEGMENTS_PROCESSOR, realtime(context));
  }
  const loops = new Map<string, ProcessorLoop>();
  if (data.runProcessors) {
    // Only where the processors run: an API-only process (RAPPORT_PROCESSORS=off) leaves it to
    // the worker processes; POST /api/log/compact still works there.
    scheduleCompaction();
    const start = (name: string, onProgress: () => void) => {
      const processor = processors.get(name);
      if (processor)
        loops.set(
          name,
          startProcessorLoop(processor, policy, {
            pollMs: data.pollMs,
            gatherMs: data.gatherMs ?? DEFAULT_GATHER_MS,
            gatherEntries: data.batchSize,
            onError,
            onProgress,
            onQuarantine,
          }),
        );
    };
    start(PROFILES_PROCESSOR, () => loops.get(WAREHOUSE_PROCESSOR)?.wake());
    start(WAREHOUSE_PROCESSOR, () => {
      loops.get(SEGMENTS_PROCESSOR)?.wake();
      // The profiles step may be holding for the slice cache's consumers (slices.ts).
      loops.get(PROFILES_PROCESSOR)?.wake();
      void reportStatus();
    });
    start(SEGMENTS_PROCESSOR, () => {
      loops.get(PROFILES_PROCESSOR)?.wake();
      void reportStatus();
    });
  }
  /** A replay between two steps of its processor's loop; without loops here, directly. */
  const replay = async (processorName: string, id: number): Promise<ReplayResult> => {
    const processor = processors.get(processorName);
    if (!processor) return { outcome: 'busy', reason: `no ${processorName} processor runs in this process` };
    const loop = loops.get(processorName);
    const result = loop ? await loop.replay(id) : await replayQuarantined(processor, id);
    if (result.outcome === 'replayed') void reportStatus();
    return result;
  };
  // Queries still running when a stop arrives: closing DuckDB under one is a native crash.
  const inFlight = new Set<Promise<void>>();
  port!.on('message', async (message: ToWorker) => {
    if (message.kind === 'wake') for (const loop of loops.values()) loop.wake();
    if (message.kind === 'purposes' && consentPurposes)
      consentPurposes.splice(0, consentPurposes.length, ...message.purposes);
    if (message.kind === 'replay') {
      try {
        send({
          kind: 'answer',
          id: message.id,
          value: await replay(message.processor, message.quarantineId),
        });
      } catch (error) {
        send({ kind: 'answer', id: message.id, error: describe(error) });
      }
    }
    if (message.kind === 'compact') {
      if (stopping) {
        send({ kind: 'answer', id: message.id, error: 'the pipeline is stopping' });
        return;
      }
      await compact().then(
        (value) => send({ kind: 'answer', id: message.id, value }),
        (error) => send({ kind: 'answer', id: message.id, error: describe(error) }),
      );
    }
    if (message.kind === 'query') {
      if (stopping) {
        send({ kind: 'answer', id: message.id, error: 'the pipeline is stopping' });
        return;
      }
      const running = answer(events, message);
      inFlight.add(running);
      await running;
      inFlight.delete(running);
    }
    if (message.kind === 'stop') {
      stopping = true;
      clearTimeout(compactionTimer);
      compactionTimer = undefined;
      await Promise.all([...loops.values()].map((loop) => loop.stop()));
      await compacting.catch(() => {});
      await Promise.all(inFlight);
      await reporting;
      await events.close();
      await profilesState.close();
      await warehouseState.close();
      await segmentsState.close();
      await compactionState.close();
      await segmentStore?.close();
      send({ kind: 'stopped' });
      port!.close();
    }
  });
  send({ kind: 'ready' });
  await reportStatus();
}

/** Runs this worker thread with the realtime processor its entry names. */
export function runPipelineWorker(realtime: RealtimeProcessor): void {
  if (!port) throw new Error('pipeline worker must run in a worker thread');
  main(realtime).catch((error) => send({ kind: 'fatal', error: describe(error) }));
}

export type { EventReader };
