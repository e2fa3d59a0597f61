// The journey runner: one input (an entry, an event, a timer) for one person's instance, as
// numbered steps, each a small function:
//   1. read the instance (or make a new one, if the re-entry rule lets the person in) and the
//      definition version it pinned;
//   2. advanceJourney (pure);
//   3. turn its actions into one write: the instance (compare-and-set on its revision),
//      timers to set and cancel, outbox rows (sends, tasks), step counters;
//   4. append the events it emitted (and trait changes) to the ingest log, then commit 3.
// The log append comes before the commit and is deduplicated by messageId: a crash between
// the two replays the input, which yields the same message ids and the same outbox keys, so
// nothing is logged or queued twice. (On SQLite the log is another file, log.sqlite, so one
// transaction cannot span both; on PostgreSQL the same order keeps one code path.)
import type {
  ConductorTransaction,
  EventReader,
  InstanceWrite,
  LogEntry,
  OutboxEntry,
  SegmentStore,
  StoredEvent,
  StoredInstance,
  TimerRow,
} from '../../store/index.ts';
import type { JourneyAction } from '../journey/actions.ts';
import {
  type AdvanceInput,
  type AdvanceResult,
  advanceJourney,
  type ExperimentHooks,
} from '../journey/advance.ts';
import type { JourneyDefinition } from '../journey/definition.ts';
import { canEnter } from '../journey/entry.ts';
import type { JourneyEvent } from '../journey/filters.ts';
import { instanceIdFor, type JourneyInstance, newJourneyInstance } from '../journey/state.ts';
import { emittedEntry, traitEntry } from './emit.ts';
import type { PersonFacts } from './person.ts';
import { historyOf, NeedsHistory, rulePredicateFor } from './rules.ts';

export interface RunnerContext {
  events: EventReader | undefined;
  /** Live segment membership for `in_segment` branch rules. */
  segments?: SegmentStore | undefined;
  /** Histories read outside the transaction by withHistoryRetry, per profile. */
  history?: Map<string, StoredEvent[]>;
  /** An offer's content by id (`offer.*` in a send's template), read when the send is queued. */
  offerContent?: ((offerId: string) => Record<string, unknown> | undefined) | undefined;
  /** Appends to the ingest log (deduplicated by messageId); resolves once durable. */
  appendLog(entries: LogEntry[]): Promise<void>;
  /** A bandit's weights for a split, a channel experiment's arm (the experiments module's live plans). */
  experiments?: ExperimentHooks | undefined;
}

export type RunOutcome = 'applied' | 'ignored' | 'refused' | 'conflict';

/** What one input did, for the caller's counters and tests. */
export interface RunResult {
  outcome: RunOutcome;
  reason?: string;
  instance?: JourneyInstance;
}

// 1a. A new instance, if the re-entry rule lets the person in.
export async function prepareEntry(
  tx: ConductorTransaction,
  definition: JourneyDefinition,
  person: PersonFacts,
  trigger: JourneyEvent | undefined,
  triggerId: string,
  now: string,
): Promise<{ instance: JourneyInstance } | { refused: string }> {
  const history = await tx.entryHistory(definition.id, person.profileId);
  const decision = canEnter(definition.reentry, history, now);
  if (!decision.enter) return { refused: decision.reason };
  const instanceId = instanceIdFor(definition.id, person.profileId, triggerId);
  if (await tx.getInstance(instanceId)) return { refused: 'this trigger was already applied' };
  const init = { instanceId, profileId: person.profileId, now, ...(trigger ? { trigger } : {}) };
  return { instance: newJourneyInstance(definition, init) };
}

// 2. The pure advance, with branch rules evaluated against the person as they are now.
export async function advance(
  ctx: RunnerContext,
  definition: JourneyDefinition,
  instance: JourneyInstance,
  input: AdvanceInput,
  person: PersonFacts,
): Promise<AdvanceResult> {
  // The event history only when a branch that counts events is reached (see NeedsHistory).
  const history = ctx.history?.get(person.profileId);
  const evaluate = await rulePredicateFor(definition, person, ctx.events, input.now, ctx.segments, history);
  return advanceJourney(definition, instance, input, evaluate, ctx.experiments);
}

// 3. The write: instance row, timers, outbox, step counters.
export function buildWrite(
  definition: JourneyDefinition,
  before: JourneyInstance | undefined,
  after: JourneyInstance,
  actions: readonly JourneyAction[],
  now: string,
): InstanceWrite {
  const timers: TimerRow[] = [];
  const cancelTimers: string[] = [];
  const outbox: OutboxEntry[] = [];
  for (const action of actions) {
    if (action.type === 'scheduleTimer')
      timers.push({
        token: action.token,
        instanceId: after.instanceId,
        journeyId: after.journeyId,
        profileId: after.profileId,
        dueAt: action.at,
      });
    if (action.type === 'cancelTimer') cancelTimers.push(action.token);
    if (action.type === 'send' || action.type === 'createTask')
      outbox.push(outboxEntryOf(definition, after, action, now));
  }
  // A timer that fired is consumed: the instance no longer waits on it.
  if (before?.timerToken && before.timerToken !== after.timerToken) cancelTimers.push(before.timerToken);
  const stepPasses: Record<string, number> = {};
  for (const [stepId, visits] of Object.entries(after.visits)) {
    const added = visits - (before?.visits[stepId] ?? 0);
    if (added > 0) stepPasses[stepId] = added;
  }
  const row: StoredInstance = {
    instanceId: after.instanceId,
    journeyId: after.journeyId,
    journeyVersion: after.journeyVersion,
    profileId: after.profileId,
    revision: after.revision,
    active: after.status !== 'exited',
    stepId: after.stepId,
    body: after,
    enteredAt: after.enteredAt,
    exitedAt: after.exit?.at ?? null,
    exitReason: after.exit?.reason ?? null,
  };
  return {
    instance: row,
    expectedRevision: before && before.status !== 'new' ? before.revision : null,
    timers,
    cancelTimers,
    outbox,
    stepPasses,
  };
}

function outboxEntryOf(
  definition: JourneyDefinition,
  instance: JourneyInstance,
  action: Extract<JourneyAction, { type: 'send' | 'createTask' }>,
  now: string,
): OutboxEntry {
  const journey = { id: definition.id, name: definition.name, version: definition.version };
  return {
    idempotencyKey: action.idempotencyKey,
    profileId: instance.profileId,
    journeyId: definition.id,
    instanceId: instance.instanceId,
    stepId: action.stepId,
    origin: 'journey',
    kind: action.type === 'send' ? 'message' : 'task',
    payload: { action, journey, event: instance.trigger },
    createdAt: now,
    nextAttemptAt: now,
  };
}

// 4. The log entries the advance produced: its events and its trait changes.
export function logEntriesOf(
  person: PersonFacts,
  actions: readonly JourneyAction[],
  now: string,
): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const action of actions) {
    if (action.type === 'emitEvent') entries.push(emittedEntry(person, action, now));
    if (action.type === 'setTrait') entries.push(traitEntry(person, action, now));
  }
  return entries;
}

/** Steps 2–4 for an instance read (or made) in step 1. */
export async function runInput(
  ctx: RunnerContext,
  tx: ConductorTransaction,
  definition: JourneyDefinition,
  before: JourneyInstance,
  input: AdvanceInput,
  person: PersonFacts,
): Promise<RunResult> {
  const result = await advance(ctx, definition, before, input, person);
  if (result.ignored) return { outcome: 'ignored', reason: result.ignored };
  const write = buildWrite(
    definition,
    before.status === 'new' ? undefined : before,
    result.instance,
    result.actions,
    input.now,
  );
  if (before.status === 'new') write.expectedRevision = null;
  if (ctx.offerContent) for (const entry of write.outbox) withOfferContent(entry, ctx.offerContent);
  await ctx.appendLog(logEntriesOf(person, result.actions, input.now));
  const written = await tx.writeInstance(write);
  if (!written)
    return { outcome: 'conflict', reason: 'the instance changed or the person is already in the journey' };
  return { outcome: 'applied', instance: result.instance };
}

/** A send with an offer carries the offer's content as `offer.*`, as it was when the send was queued. */
function withOfferContent(
  entry: OutboxEntry,
  contentOf: (offerId: string) => Record<string, unknown> | undefined,
): void {
  const payload = entry.payload as { action: JourneyAction; variables?: Record<string, unknown> };
  if (payload.action.type !== 'send' || !payload.action.offerId) return;
  const content = contentOf(payload.action.offerId);
  if (content)
    payload.variables = { ...payload.variables, offer: { ...content, id: payload.action.offerId } };
}

/**
 * A runner whose log appends are gathered, for a step that runs many inputs in one
 * transaction to write them in one append before its commit (`flush`), instead of one append
 * (on SQLite one fsync) per input. The order that makes a crash safe holds: the log first,
 * deduplicated by messageId, then the commit. Make one per attempt of the step: a rolled back
 * attempt's entries are dropped with it.
 */
export function gatheringRunner(ctx: RunnerContext): { runner: RunnerContext; flush(): Promise<void> } {
  const gathered: LogEntry[] = [];
  return {
    runner: {
      ...ctx,
      appendLog: async (entries) => {
        gathered.push(...entries);
      },
    },
    flush: () => ctx.appendLog(gathered.splice(0)),
  };
}

/**
 * Runs a transactional step; when a branch needs a person's event history (NeedsHistory), the
 * transaction has rolled back: read it with no lock held and run the step again.
 */
export async function withHistoryRetry<T>(ctx: RunnerContext, step: () => Promise<T>): Promise<T> {
  // Shared by the loops that run at once (journeys, timers): each forgets only what it read.
  ctx.history ??= new Map();
  const history = ctx.history;
  const read: string[] = [];
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof NeedsHistory) || !ctx.events || attempt > 50) throw error;
        history.set(error.profileId, await historyOf(ctx.events, error.profileId));
        read.push(error.profileId);
      }
    }
  } finally {
    for (const profileId of read) history.delete(profileId);
  }
}
