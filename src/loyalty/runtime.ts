// Loyalty in a server process: the service, the log processor in the shared guarded loop
// (src/pipeline: offsets, quarantine, backoff) on a state connection of its own, and the
// schedule of runs (expiry, badge announcements, tiers and traits). server.ts starts it and
// hands it to the routes; it registers its processor's replay with the quarantine's.
import pRetry from 'p-retry';
import { RapportError } from '../errors/index.ts';
import type { IdentityConfig } from '../identity/index.ts';
import {
  DEFAULT_QUARANTINE_POLICY,
  type InjectedFault,
  isTransientError,
  PROFILES_PROCESSOR,
  type ProcessorLoop,
  type QuarantinePolicy,
  type QuarantineReplays,
  replayQuarantined,
  runGuardedStep,
  startProcessorLoop,
} from '../pipeline/index.ts';
import { openStateStore, type StateStore, type StorageLocation } from '../store/index.ts';
import { LOYALTY_PROCESSOR, loyaltyProcessor } from './processor.ts';
import { type LoyaltyDeps, LoyaltyService } from './service.ts';
import type { LoyaltyStore } from './store.ts';

export interface LoyaltyRuntimeOptions extends Omit<LoyaltyDeps, 'catchUp' | 'state'> {
  location: StorageLocation;
  store: LoyaltyStore;
  identity: IdentityConfig;
  /** Run the processor's loop and the schedule here (RAPPORT_PROCESSORS). */
  runLoops: boolean;
  /** Milliseconds between runs; 0: only on request. */
  runEveryMs: number;
  pollMs?: number;
  quarantine?: QuarantinePolicy;
  /** Where the loyalty processor registers the replay of what it set aside (the quarantine routes ask it). */
  quarantineReplays?: QuarantineReplays;
  faults?: readonly InjectedFault[];
  /** How long a run waits out a busy database (CATCH_UP_PATIENCE_MS unless a test says). */
  catchUpPatienceMs?: number;
  onError: (error: unknown) => void;
}

export interface LoyaltyRuntime {
  service: LoyaltyService;
  stop(): Promise<void>;
}

const BATCH = 500;
/** How long a run's catch-up waits out a database held by a long write elsewhere. */
export const CATCH_UP_PATIENCE_MS = 60_000;

/**
 * A run first applies what the processor has not (`drain`). A busy database (SQLite's one
 * writer held by a long step of another processor during a big import) is waited out with
 * backoff, as the loop itself does, instead of failing the run; past the patience the run is
 * refused as a 503 with Retry-After, which a caller may repeat (a run is idempotent).
 */
export async function patientCatchUp(drain: () => Promise<number>, patienceMs = CATCH_UP_PATIENCE_MS) {
  try {
    return await pRetry(drain, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 200,
      maxTimeout: 5_000,
      maxRetryTime: patienceMs,
      shouldRetry: ({ error }) => isTransientError(error),
    });
  } catch (error) {
    if (!isTransientError(error)) throw error;
    throw new RapportError(
      'RAPPORT_STORE_UNAVAILABLE',
      `loyalty run: the database stayed busy for ${Math.round(patienceMs / 1000)} s (a long write elsewhere); try again`,
      { retryAfterSeconds: 5 },
    );
  }
}

/** How long a run waits for profiles to apply what the log holds before comparing traits. */
const TRAITS_PATIENCE_MS = 10_000;

async function profilesCaughtUp(state: StateStore): Promise<void> {
  const head = await state.log.headSeq();
  const deadline = Date.now() + TRAITS_PATIENCE_MS;
  while ((await state.getOffset(PROFILES_PROCESSOR)) < head && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

export async function startLoyalty(options: LoyaltyRuntimeOptions): Promise<LoyaltyRuntime> {
  // Its own connection: the processor's lock is a transaction on it (SQLite), which no other
  // caller on this thread may find open.
  const state = await openStateStore(options.location);
  const policy = options.quarantine ?? DEFAULT_QUARANTINE_POLICY;
  let loop: ProcessorLoop | undefined;
  const service = new LoyaltyService({
    ...options,
    state,
    traitsCaughtUp: () => profilesCaughtUp(state),
    catchUp: () => patientCatchUp(() => (loop ? loop.exclusive(drain) : drain()), options.catchUpPatienceMs),
  });
  const processor = loyaltyProcessor({
    state,
    store: options.store,
    identity: options.identity,
    batchSize: BATCH,
    programme: () => service.savedProgramme(),
    secret: () => service.secret(),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  /** The processor's pending slices, guarded like the loop's steps (a poison message is set aside). */
  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const applied = await runGuardedStep(processor, policy);
      if (applied === 0) return total;
      total += applied;
    }
  }
  if (options.runLoops) {
    loop = startProcessorLoop(processor, policy, {
      pollMs: options.pollMs ?? 250,
      onError: options.onError,
      onQuarantine: (entry) =>
        options.onError(
          new Error(
            `${LOYALTY_PROCESSOR} set log entry ${entry.seq} (message ${entry.messageId}) aside in quarantine: ${entry.error}`,
          ),
        ),
    });
    if (options.runEveryMs > 0) service.schedule(options.runEveryMs, options.onError);
  }
  options.quarantineReplays?.register(LOYALTY_PROCESSOR, (id) =>
    loop ? loop.replay(id) : replayQuarantined(processor, id),
  );
  return {
    service,
    async stop() {
      service.stop();
      await loop?.stop();
      await state.close();
      await options.store.close();
    },
  };
}
