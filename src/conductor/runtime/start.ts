// Starts the conductor's four loops on this process — the journey processor (log → journeys),
// the timer step, the schedule step (broadcasts, schedules, date traits) and the outbox
// worker — with their own store connections. They run on the main thread: their work is
// mostly waiting on channels and small indexed reads, and the channels and the clock are objects the server is handed (tests inject both), which a
// worker thread could not receive. With PostgreSQL any number of processes run them together.

import { readFileSync } from 'node:fs';
import { readSetting } from '../../config/index.ts';
import type { IdentityConfig } from '../../identity/index.ts';
import {
  DEFAULT_QUARANTINE_POLICY,
  type InjectedFault,
  JOURNEYS_PROCESSOR,
  type LoopHandle,
  type ProcessorLoop,
  type QuarantinePolicy,
  type QuarantineReplays,
  replayQuarantined,
  startLoop,
  startProcessorLoop,
} from '../../pipeline/index.ts';
import {
  type ConductorStore,
  type EventReader,
  type LogEntry,
  openConductorStore,
  openSegmentStore,
  openStateStore,
  type StorageLocation,
} from '../../store/index.ts';
import { validatePolicy } from '../arbitration/policy.ts';
import type { ArbitrationPolicy } from '../arbitration/types.ts';
import type { ExperimentHooks } from '../journey/advance.ts';
import { JourneyCatalog } from './catalog.ts';
import { type ChannelRegistry, channelRegistry } from './channels.ts';
import { journeysProcessor } from './journeys-processor.ts';
import { LEASE_MS, runOutboxStep } from './outbox.ts';
import { runScheduleStep } from './schedules.ts';
import { JourneyService } from './service.ts';
import { type Clock, type ConductorState, DEFAULT_POLICY } from './state.ts';
import { runTimersStep } from './timers.ts';

export interface ConductorOptions {
  location: StorageLocation;
  identity: IdentityConfig;
  events?: EventReader;
  channels?: ChannelRegistry;
  policy?: ArbitrationPolicy;
  /** The policy as it is now, read before each outbox batch (an API edit applies to the next decision). */
  loadPolicy?: () => Promise<ArbitrationPolicy>;
  clock?: Clock;
  /** The content of an offer by id (the placements' offers), for `offer.*` in send templates. */
  offers?: (offerId: string) => Record<string, unknown> | undefined;
  /** The experiments module's say in a journey: a bandit's split weights, a channel experiment's arm. */
  experiments?: ExperimentHooks;
  pollMs?: number;
  /** Run the loops here (off for an API-only process). */
  runLoops: boolean;
  onError(error: unknown): void;
  /** The conductor appended to the log: wake the processors. */
  onLogAppended?(): void;
  /** Retries, isolation and the consecutive guard of the journeys processor (docs/quarantine.md). */
  quarantine?: QuarantinePolicy;
  /** Where the journeys processor registers the replay of what it set aside (the quarantine routes ask it). */
  quarantineReplays?: QuarantineReplays;
  /** Tests only (pipeline/faults.ts). */
  faults?: InjectedFault[];
}

export interface Conductor {
  service: JourneyService;
  state: ConductorState;
  store: ConductorStore;
  /** Runs the loops' steps now (after an entry, a save, a clock change). */
  wake(): void;
  /** The journeys processor's offset. */
  offset(): Promise<number>;
  /** The profile export's part: the person's trips, messages (as rendered) and arbitration decisions. */
  exportOf(profileIds: string[]): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const EXPORT_PAGE = 500;

/** Every row of a newest-first listing paged by `beforeId`. */
async function allPages<T extends { id: number }>(page: (beforeId?: number) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let beforeId: number | undefined; ; ) {
    const next = await page(beforeId);
    rows.push(...next);
    if (next.length < EXPORT_PAGE) return rows;
    beforeId = (next.at(-1) as T).id;
  }
}

/** What the conductor holds about these profiles (a person and those merged into them). */
export async function conductorExport(store: ConductorStore, profileIds: string[]) {
  const messages = [];
  const decisions = [];
  for (const profileId of profileIds) {
    messages.push(
      ...(await allPages((beforeId) =>
        store.listOutbox({ profileId, limit: EXPORT_PAGE, ...(beforeId ? { beforeId } : {}) }),
      )),
    );
    decisions.push(
      ...(await allPages((beforeId) =>
        store.listDecisions({ profileId, limit: EXPORT_PAGE, ...(beforeId ? { beforeId } : {}) }),
      )),
    );
  }
  return {
    journeys: await store.instancesOfProfiles(profileIds, 100_000),
    messages,
    decisions,
  };
}

/** RAPPORT_ARBITRATION_POLICY names a JSON file (docs/arbitration.md): caps, quiet hours, default zone. */
export function policyFromEnvironment(env: NodeJS.ProcessEnv = process.env): ArbitrationPolicy {
  const path = env.RAPPORT_ARBITRATION_POLICY;
  if (!path) return DEFAULT_POLICY;
  const result = validatePolicy(JSON.parse(readFileSync(path, 'utf8')));
  if (!result.ok)
    throw new Error(
      `RAPPORT_ARBITRATION_POLICY ${path}: ${result.issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
    );
  return result.policy;
}

/**
 * The policy RAPPORT_ARBITRATION_POLICY pins (read-only over the API), with where it comes from
 * for the settings page; undefined when the variable is unset.
 */
export function pinnedPolicyFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): { policy: ArbitrationPolicy; origin: string } | undefined {
  const path = env.RAPPORT_ARBITRATION_POLICY;
  if (!path) return undefined;
  return { policy: policyFromEnvironment(env), origin: `RAPPORT_ARBITRATION_POLICY (${path})` };
}

/**
 * RAPPORT_OUTBOX_LEASE_MS: how long a worker holds a row it is delivering (default 60 s). A row
 * still `sending` after it was interrupted by a crash: it goes to `dead` (in doubt) once the lease
 * runs out. It must stay above the longest delivery (a webhook: 3 attempts of 5 s, and backoff).
 */
export function outboxLeaseFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  return readSetting('RAPPORT_OUTBOX_LEASE_MS', env.RAPPORT_OUTBOX_LEASE_MS) ?? LEASE_MS;
}

export async function startConductor(options: ConductorOptions): Promise<Conductor> {
  const store = await openConductorStore(options.location);
  const state = await openStateStore(options.location);
  const segments = await openSegmentStore(options.location);
  const clock = options.clock ?? (() => new Date());
  const catalog = new JourneyCatalog(store);
  const appendLog = async (entries: LogEntry[]) => {
    if (entries.length === 0) return;
    await state.log.append(entries);
    options.onLogAppended?.();
  };
  const conductor: ConductorState = {
    state,
    store,
    catalog,
    runner: {
      events: options.events,
      segments,
      offerContent: options.offers,
      appendLog,
      experiments: options.experiments,
    },
    channels: options.channels ?? channelRegistry([]),
    policy: options.policy ?? policyFromEnvironment(),
    loadPolicy: options.loadPolicy,
    segments,
    now: () => clock().toISOString(),
  };
  const loops: LoopHandle[] = [];
  const wake = () => {
    for (const loop of loops) loop.wake();
  };
  const leaseMs = outboxLeaseFromEnvironment();
  // 200 entries or 5 ms a step: the journeys processor shares this thread with HTTP requests.
  const journeys = journeysProcessor(conductor, {
    batchSize: 200,
    budgetMs: 5,
    identity: options.identity,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  let journeysLoop: ProcessorLoop | undefined;
  if (options.runLoops) {
    const loopOptions = { pollMs: options.pollMs ?? 250, onError: options.onError };
    journeysLoop = startProcessorLoop(journeys, options.quarantine ?? DEFAULT_QUARANTINE_POLICY, {
      ...loopOptions,
      onQuarantine: (entry) =>
        options.onError(
          new Error(
            `journeys set log entry ${entry.seq} (message ${entry.messageId}) aside in quarantine: ${entry.error}`,
          ),
        ),
    });
    loops.push(
      journeysLoop,
      startLoop(() => runTimersStep(conductor), loopOptions),
      startLoop(() => runScheduleStep(conductor), loopOptions),
      startLoop(() => runOutboxStep(conductor, 100, leaseMs), loopOptions),
    );
  }
  options.quarantineReplays?.register(JOURNEYS_PROCESSOR, (id) =>
    journeysLoop ? journeysLoop.replay(id) : replayQuarantined(journeys, id),
  );
  return {
    service: new JourneyService(conductor, wake),
    state: conductor,
    store,
    wake,
    offset: () => store.getOffset(JOURNEYS_PROCESSOR),
    exportOf: (profileIds) => conductorExport(store, profileIds),
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
      await store.close();
      await segments?.close();
      await state.close();
    },
  };
}
