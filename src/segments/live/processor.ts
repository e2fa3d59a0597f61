// The realtime processor: live segment membership and lifecycle stages. Each step
//   1. appends what the last commit put in the outbox to the ingest log (deduped by messageId),
//   2. builds segments and funnels that were created or changed (status building → live),
//   3. applies the next log slice — only what the profiles and warehouse processors have
//      passed, so every identity exists and a build sees the same history — to each profile's
//      incremental state, evaluating the model after every event,
//   4. re-checks profiles whose windows expired by the event time applied (event-time.ts: by
//      now once the log is applied and quiet), at the instant each expired,
// and commits states, members, history, stages and the outbox with its offset in one
// transaction. Its own events (Segment Entered/Exited, Lifecycle Stage Changed) are skipped,
// here and in SQL, so they never feed back. docs/segments.md, "Live membership".
import { createHash } from 'node:crypto';
import { parsePayload, type SegmentMessage } from '../../events/index.ts';
import type { IdentityConfig } from '../../identity/index.ts';
// The processor machinery, not the pipeline's door: its door also exports the worker that
// runs this step, which would make a circle (the machinery is to become its own low module).
import { failIfInjected, type InjectedFault } from '../../pipeline/faults.ts';
import { type QuarantinableProcessor, recordOf } from '../../pipeline/quarantine-loop.ts';
import type { SliceCache } from '../../pipeline/slices.ts';
import { lookupOwners, PROFILES_PROCESSOR, WAREHOUSE_PROCESSOR } from '../../pipeline/steps.ts';
import {
  type EventStore,
  emptyChanges,
  type HistoryRow,
  type LogRecord,
  type MemberRow,
  type ProfileStateRow,
  SEGMENTS_PROCESSOR,
  type SegmentChanges,
  type SegmentStore,
  type StageHistoryRow,
  type StageRow,
  type StateStore,
} from '../../store/index.ts';
import type { SegmentRule } from '../ast.ts';
import { applyEvent, mergeStates } from '../incremental/apply.ts';
import {
  emptyProfileState,
  factKey,
  type ProfileSegmentState,
  type SegmentEvent,
} from '../incremental/state.ts';
import type { FunnelDefinition } from '../lifecycle.ts';
import {
  advanceEventClock,
  DEFAULT_QUIET_MS,
  EVENT_CLOCK_META,
  readEventClock,
  recheckHorizon,
} from './event-time.ts';
import { isInternalEvent, SEGMENTS_SOURCE } from './internal.ts';
import {
  buildModel,
  evaluateProfile,
  funnelFactKey,
  type LiveModel,
  type LiveSegment,
  pruneFacts,
} from './model.ts';
import { historyFor, historyOfProfiles, seedFromHistory } from './seed.ts';
import { deriveStageHistory, foldAtInstant } from './stage-history.ts';

export interface SegmentsStepContext {
  state: StateStore;
  events: EventStore;
  store: SegmentStore;
  identity: IdentityConfig;
  batchSize: number;
  now: () => Date;
  /** The slices the profiles step resolved in this thread (see slices.ts). */
  slices?: SliceCache;
  /** Tests only (faults.ts): fail on chosen messages, as a bug would. */
  faults?: readonly InjectedFault[];
  /**
   * How long nothing new must have been applied before windows expire by the clock rather
   * than by the events' time (event-time.ts). Absent: DEFAULT_QUIET_MS.
   */
  quietMs?: number;
  /** The wall clock for the quiet period (tests move `now` on its own). */
  wallNow?: () => number;
}

interface Work {
  changes: SegmentChanges;
  /** The latest state of each profile evaluated in this step. */
  states: Map<string, ProfileStateRow>;
  model: LiveModel;
  /** Profiles whose events need an identity to be emitted under. */
  emits: Emit[];
  /** Per funnel and profile, its last stage change recorded in this step (to fold one instant's changes). */
  lastStage?: Map<string, { row: StageHistoryRow; emit: Emit | undefined; cause: { trigger: Trigger } }>;
  /** `profileId \0 at` of every stage change recorded in this step. */
  stagedAt?: Set<string>;
}

type Emit = { profileId: string; build: (identity: Identity) => Record<string, unknown> };

type Identity = { userId?: string; anonymousId?: string };

const BUILT_META = 'built';

export async function loadModel(store: SegmentStore): Promise<{ model: LiveModel; building: boolean }> {
  const segments = await store.listSegments();
  const funnels = await store.listFunnels();
  const live: LiveSegment[] = segments.map((s) => ({
    id: s.id,
    name: s.name,
    version: s.version,
    rule: s.rule as SegmentRule,
  }));
  const building =
    segments.some((s) => s.status === 'building') || funnels.some((f) => f.status === 'building');
  return {
    model: buildModel(
      live,
      funnels.map((f) => f.definition as FunnelDefinition),
    ),
    building,
  };
}

/** One step; returns how much it did (0: nothing to do, or another process holds the step). */
export async function runSegmentsStep(ctx: SegmentsStepContext): Promise<number> {
  return (await ctx.store.exclusive(() => step(ctx))) ?? 0;
}

/**
 * The segments processor as the quarantine sees it (quarantine-loop.ts). A limited step applies
 * only the next log entries: not the outbox, the builds or the re-checks, which are no
 * message's doing. Setting an entry aside commits the row with the offset (SegmentChanges).
 */
export function segmentsProcessor(ctx: SegmentsStepContext): QuarantinableProcessor {
  return {
    name: SEGMENTS_PROCESSOR,
    batchSize: ctx.batchSize,
    log: ctx.state.log,
    quarantine: ctx.state.quarantine,
    async step(limit) {
      if (limit === undefined) return runSegmentsStep(ctx);
      // A probe reads its few entries from the log: a cached slice may be longer.
      const { slices: _shared, ...alone } = ctx;
      const applied = await ctx.store.exclusive(async () => {
        const { model, building } = await loadModel(ctx.store);
        return building ? 0 : applySlice(alone, model, limit);
      });
      return applied ?? 0;
    },
    offset: () => ctx.store.getOffset(),
    withOffset: (work) =>
      ctx.store.exclusive(async () => {
        const changes = emptyChanges();
        changes.quarantine = [];
        let moveTo: number | undefined;
        const result = await work(
          {
            consecutiveAt: (seq) => ctx.state.quarantine.consecutiveAt(SEGMENTS_PROCESSOR, seq),
            put: async (entry) => void changes.quarantine?.push(entry),
            setOffset: async (seq) => {
              moveTo = seq;
            },
          },
          await ctx.store.getOffset(),
        );
        if (moveTo !== undefined) await ctx.store.commit(changes, moveTo);
        return result;
      }),
    async replay(id) {
      const result = await ctx.store.exclusive(async () => {
        const entry = await ctx.state.quarantine.get(id);
        if (!entry || entry.processor !== SEGMENTS_PROCESSOR) return { outcome: 'gone' as const };
        const { model, building } = await loadModel(ctx.store);
        if (building)
          return { outcome: 'busy' as const, reason: 'segments are being built; replay once they are live' };
        await applyRecords(ctx, model, [recordOf(entry)], await ctx.store.getOffset(), [id]);
        return { outcome: 'replayed' as const, entry };
      });
      return result ?? { outcome: 'busy', reason: 'another process is running the segments processor' };
    },
  };
}

async function step(ctx: SegmentsStepContext): Promise<number> {
  let done = await flushOutbox(ctx);
  const { model, building } = await loadModel(ctx.store);
  if (building) return done + (await buildPending(ctx, model));
  done += await applySlice(ctx, model);
  done += await runRechecks(ctx, model);
  return done + (await flushOutbox(ctx));
}

export async function flushOutbox(ctx: Pick<SegmentsStepContext, 'state' | 'store'>): Promise<number> {
  const entries = await ctx.store.outbox(5000);
  if (entries.length === 0) return 0;
  await ctx.state.log.append(
    entries.map((e) => ({
      messageId: e.messageId,
      source: SEGMENTS_SOURCE,
      receivedAt: e.createdAt,
      json: e.json,
    })),
  );
  await ctx.store.removeFromOutbox(entries.map((e) => e.messageId));
  return entries.length;
}

// ---- building ---------------------------------------------------------------------------

async function buildPending(ctx: SegmentsStepContext, model: LiveModel): Promise<number> {
  const segments = await ctx.store.listSegments();
  const funnels = await ctx.store.listFunnels();
  const built = ((await ctx.store.getMeta(BUILT_META)) ?? {}) as Record<string, number>;
  const offset = await ctx.store.getOffset();
  const now = ctx.now();
  const changes = emptyChanges();
  // A segment the processor never built starts from "not a member", whatever stale fact a
  // deleted namesake left in the states.
  const fresh = new Set(segments.filter((s) => built[`segment:${s.id}`] === undefined).map((s) => s.id));
  const freshFunnels = new Set(funnels.filter((f) => built[`funnel:${f.id}`] === undefined).map((f) => f.id));
  const replay = await seedFromHistory(ctx, model, offset);
  const derived = await freshFunnelHistory(ctx, funnels, freshFunnels, offset);
  const work: Work = { changes, states: new Map(), model, emits: [] };
  let after = '';
  for (;;) {
    const page = await ctx.store.pageStates(after, 2000);
    if (page.length === 0) break;
    after = (page.at(-1) as ProfileStateRow).profileId;
    // Today's consent and computed properties, as a preview reads them, not those of the last event.
    const facts = await currentFacts(
      ctx.state,
      page.map((row) => row.profileId),
    );
    for (const row of page) {
      const stored = withFacts(row.state as ProfileSegmentState, facts.get(row.profileId));
      let state = pruneFacts(model, replay.reset(stored));
      state = forget(state, fresh, freshFunnels);
      for (const event of replay.eventsOf(row.profileId)) state = applyEvent(replay.plan, state, event);
      const at = Math.max(now.getTime(), row.evaluatedAt ?? 0);
      const recorded = { history: changes.stageHistory.length, stages: changes.setStages.length };
      state = evaluateAndRecord(work, row.profileId, state, at, { trigger: 'build', emit: false });
      if (derived) recordDerivedStages(changes, recorded, row.profileId, state, at, derived);
    }
  }
  const nextBuilt: Record<string, number> = {};
  for (const s of segments) nextBuilt[`segment:${s.id}`] = s.version;
  for (const f of funnels) nextBuilt[`funnel:${f.id}`] = f.version;
  changes.meta[BUILT_META] = nextBuilt;
  changes.meta[replay.metaKey] = replay.seeded;
  changes.states = [...work.states.values()];
  await ctx.store.commit(changes, offset);
  for (const s of segments)
    if (s.status === 'building') await ctx.store.setSegmentStatus(s.id, s.version, 'live');
  for (const f of funnels)
    if (f.status === 'building') await ctx.store.setFunnelStatus(f.id, f.version, 'live');
  return 1;
}

interface FreshFunnels {
  model: LiveModel;
  eventsOf: (profileId: string) => SegmentEvent[];
}

/** Funnels never built before, with the history their stage rules read (null: none). */
async function freshFunnelHistory(
  ctx: SegmentsStepContext,
  funnels: Array<{ id: string; definition: unknown }>,
  fresh: Set<string>,
  offset: number,
): Promise<FreshFunnels | null> {
  const definitions = funnels.filter((f) => fresh.has(f.id)).map((f) => f.definition as FunnelDefinition);
  if (definitions.length === 0) return null;
  const model = buildModel([], definitions);
  return { model, eventsOf: await historyFor(ctx, model, offset) };
}

/**
 * A fresh funnel's stage, recorded by the build as entered now, replaced by the changes the
 * person's own history went through (as of each event), where that history ends in the same
 * stage; otherwise (a stage rule reading consent, computed properties or segments, which the
 * history does not carry) the build's record stands. Only this profile's records are touched:
 * those from `recorded` on.
 */
function recordDerivedStages(
  changes: SegmentChanges,
  recorded: { history: number; stages: number },
  profileId: string,
  state: ProfileSegmentState,
  atMs: number,
  fresh: FreshFunnels,
): void {
  const derived = deriveStageHistory(fresh.model, state.firstSeenMs, fresh.eventsOf(profileId), atMs);
  for (const funnel of fresh.model.funnels) {
    const stage = state.facts[`funnel:${funnel.id}`] as string | undefined;
    const transitions = derived.transitions.filter((t) => t.funnelId === funnel.id);
    if (transitions.length === 0 || derived.stageOf(funnel.id) !== stage) continue;
    const mine = (row: { funnelId: string; profileId: string }) =>
      row.funnelId === funnel.id && row.profileId === profileId;
    for (let i = changes.stageHistory.length - 1; i >= recorded.history; i--)
      if (mine(changes.stageHistory[i] as StageHistoryRow)) changes.stageHistory.splice(i, 1);
    for (let i = changes.setStages.length - 1; i >= recorded.stages; i--)
      if (mine(changes.setStages[i] as StageRow)) changes.setStages.splice(i, 1);
    for (const t of transitions)
      changes.stageHistory.push({
        funnelId: funnel.id,
        profileId,
        fromStage: t.from,
        toStage: t.to,
        at: new Date(t.atMs).toISOString(),
      });
    const since = new Date((transitions.at(-1) as { atMs: number }).atMs).toISOString();
    if (stage !== undefined) changes.setStages.push({ funnelId: funnel.id, profileId, stage, since });
  }
}

function forget(
  state: ProfileSegmentState,
  segments: Set<string>,
  funnels: Set<string>,
): ProfileSegmentState {
  if (segments.size === 0 && funnels.size === 0) return state;
  const facts = { ...state.facts };
  for (const id of segments) delete facts[factKey.segment(id)];
  for (const id of funnels) delete facts[`funnel:${id}`];
  return { ...state, facts };
}

// ---- the log slice ----------------------------------------------------------------------

async function applySlice(
  ctx: SegmentsStepContext,
  model: LiveModel,
  limit = ctx.batchSize,
): Promise<number> {
  const offset = await ctx.store.getOffset();
  const upTo = Math.min(
    await ctx.state.getOffset(PROFILES_PROCESSOR),
    await ctx.events.getOffset(WAREHOUSE_PROCESSOR),
  );
  if (upTo <= offset) return 0;
  const cached = ctx.slices?.run(SEGMENTS_PROCESSOR, offset, limit, upTo);
  const records = cached?.records ?? (await ctx.state.log.read(offset, limit)).filter((r) => r.seq <= upTo);
  if (records.length === 0) return 0;
  // The owners cached with the slice are current only while no later slice has been
  // resolved (a later merge would move them); segment states are kept per owner, so look
  // them up again otherwise.
  const current =
    cached && (records.at(-1) as LogRecord).seq === (await ctx.state.getOffset(PROFILES_PROCESSOR));
  await applyRecords(ctx, model, records, (records.at(-1) as LogRecord).seq, [], {
    ...(cached ? { messages: cached.messages } : {}),
    ...(current ? { owners: cached.owners } : {}),
  });
  return records.length;
}

/**
 * These entries applied to each profile's state, committed with `offset` (a replay of a
 * quarantined message passes the offset as it is, and the row to release in the same commit).
 * `known`: the messages parsed, and their owners, when a cached slice has them already.
 */
async function applyRecords(
  ctx: SegmentsStepContext,
  model: LiveModel,
  records: LogRecord[],
  offset: number,
  releaseQuarantined: number[] = [],
  known: { messages?: SegmentMessage[]; owners?: Array<string | undefined> } = {},
): Promise<void> {
  const messages = known.messages ?? records.map((r) => JSON.parse(r.json) as SegmentMessage);
  for (const message of messages) failIfInjected(ctx.faults, SEGMENTS_PROCESSOR, message);
  const owners = known.owners ?? (await lookupOwners(ctx.state, messages, ctx));
  const byProfile = new Map<string, SegmentEvent[]>();
  messages.forEach((message, i) => {
    const event = toSegmentEvent(message);
    const owner = owners[i];
    if (!owner || isInternalEvent(event)) return;
    const list = byProfile.get(owner) ?? [];
    list.push(event);
    byProfile.set(owner, list);
  });
  const work: Work = { changes: emptyChanges(), states: new Map(), model, emits: [] };
  const profileIds = [...byProfile.keys()];
  /** Profiles with an event older than their last evaluation (an import sent out of order), or merged. */
  const late = new Set<string>();
  const states = await loadWithMerges(ctx, work, profileIds, late);
  const facts = await currentFacts(ctx.state, profileIds);
  const nowMs = ctx.now().getTime();
  const eventTimes: number[] = [];
  for (const [profileId, events] of byProfile) {
    const row = states.get(profileId);
    let state = pruneFacts(
      model,
      withFacts((row?.state as ProfileSegmentState | undefined) ?? emptyProfileState(), facts.get(profileId)),
    );
    let at = row?.evaluatedAt ?? 0;
    let next = row?.nextCheckAt ?? null;
    const storedAt = row?.evaluatedAt;
    for (const event of events) {
      const eventMs = Date.parse(event.timestamp);
      eventTimes.push(eventMs);
      if (eventMs < at) late.add(profileId);
      // A window that expired before this event ends first, at its own instant, as it would
      // have had the event arrived when it happened (a slice spans hours of an import).
      for (let i = 0; next !== null && next <= Math.min(nowMs, eventMs) && i < 100; i++) {
        at = Math.max(at, next);
        state = evaluateAndRecord(work, profileId, state, at, { trigger: 'time', emit: true });
        next = lastNextCheck(work, profileId);
      }
      state = applyEvent(model.plan, state, event);
      // Evaluated as of the event (so a history replayed in bulk keeps its stage times),
      // never before an earlier evaluation and never after now.
      at = Math.max(at, Math.min(nowMs, Date.parse(event.timestamp)));
      state = evaluateAndRecord(work, profileId, state, at, {
        trigger: 'event',
        emit: true,
        messageId: event.messageId,
      });
      next = lastNextCheck(work, profileId);
    }
    // A stage change at the instant of the last step's evaluation may fold into a change that
    // step stored: the history is derived again from the events, folded at each instant.
    if (
      typeof storedAt === 'number' &&
      work.stagedAt?.has(`${profileId}\u0000${new Date(storedAt).toISOString()}`)
    )
      late.add(profileId);
  }
  if (late.size > 0 && (model.funnels.length > 0 || model.segments.length > 0))
    await redateStages(ctx, work, [...late], offset);
  if (eventTimes.length > 0) {
    const clock = readEventClock(await ctx.store.getMeta(EVENT_CLOCK_META));
    work.changes.meta[EVENT_CLOCK_META] = advanceEventClock(clock, eventTimes, nowMs, wallNow(ctx));
  }
  work.changes.releaseQuarantined = releaseQuarantined;
  await finish(ctx, work, offset);
}

/**
 * The stage changes and segment memberships of people who received a late event (or were
 * merged with another profile), derived again from their whole history up to `offset`
 * (stage-history.ts), so each change is dated by the event that made it rather than by the later
 * evaluation the late event followed. As in a build, only where the history ends where the live
 * evaluation does (rules reading consent, computed properties or segments keep the live
 * records). The merged profiles' rows are replaced too (the survivor's history covers them).
 * The Lifecycle Stage Changed and Segment Entered/Exited events already emitted keep their
 * times: they are facts of what Rapport concluded and when (docs/segments.md, "Late events").
 */
async function redateStages(
  ctx: SegmentsStepContext,
  work: Work,
  profileIds: string[],
  offset: number,
): Promise<void> {
  const owners = new Map(profileIds.map((id) => [id, id]));
  for (const merge of await ctx.state.mergesOf(profileIds))
    if (merge.outcome === 'merged' && owners.get(merge.winnerId) === merge.winnerId)
      owners.set(merge.loserId, merge.winnerId);
  const model = work.model;
  const history = await historyOfProfiles(ctx, model, owners, offset);
  const stages = new Redated<StageHistoryRow, StageRow>();
  const memberships = new Redated<HistoryRow, MemberRow>();
  for (const profileId of profileIds) {
    const row = work.states.get(profileId);
    if (!row) continue;
    const state = row.state as ProfileSegmentState;
    const atMs = row.evaluatedAt ?? ctx.now().getTime();
    const derived = deriveStageHistory(model, state.firstSeenMs, history.get(profileId) ?? [], atMs);
    const storedIds = [...owners].filter(([, owner]) => owner === profileId).map(([stored]) => stored);
    const at = (ms: number) => new Date(ms).toISOString();
    for (const funnel of model.funnels) {
      const stage = state.facts[funnelFactKey(funnel.id)] as string | undefined;
      const transitions = derived.transitions.filter((t) => t.funnelId === funnel.id);
      if (transitions.length === 0 || derived.stageOf(funnel.id) !== stage) continue;
      const rows = transitions.map((t) => ({
        funnelId: funnel.id,
        profileId,
        fromStage: t.from,
        toStage: t.to,
        at: at(t.atMs),
      }));
      const since = at((transitions.at(-1) as { atMs: number }).atMs);
      stages.add(
        funnel.id,
        storedIds,
        rows,
        stage === undefined ? undefined : { funnelId: funnel.id, profileId, stage, since },
      );
    }
    for (const segment of model.segments) {
      const member = state.facts[factKey.segment(segment.id)] === true;
      const changes = derived.memberships.filter((m) => m.segmentId === segment.id);
      if (changes.length === 0 || derived.isMember(segment.id) !== member) continue;
      const rows = changes.map((m) => ({
        segmentId: segment.id,
        profileId,
        change: m.change,
        at: at(m.atMs),
        reason: m.causedBy
          ? `event ${m.causedBy} changed whether the rule holds (dated again after a late event)`
          : `a time window of the rule ${m.change === 'exited' ? 'expired' : 'opened'} (dated again after a late event)`,
      }));
      const entered = rows.filter((r) => r.change === 'entered').at(-1);
      memberships.add(
        segment.id,
        storedIds,
        rows,
        member && entered
          ? { segmentId: segment.id, profileId, since: entered.at, reason: entered.reason }
          : undefined,
      );
    }
  }
  const { changes } = work;
  if (stages.replaced.size > 0) {
    const kept = (row: { funnelId: string; profileId: string }) =>
      !stages.replaced.has(pairKey(row.funnelId, row.profileId));
    changes.stageHistory = [...changes.stageHistory.filter(kept), ...stages.rows];
    changes.setStages = [...changes.setStages.filter(kept), ...stages.current];
    changes.replaceStageHistory = [
      ...(changes.replaceStageHistory ?? []),
      ...stages.pairs((funnelId, profileId) => ({ funnelId, profileId })),
    ];
  }
  if (memberships.replaced.size > 0) {
    const kept = (row: { segmentId: string; profileId: string }) =>
      !memberships.replaced.has(pairKey(row.segmentId, row.profileId));
    changes.history = [...changes.history.filter(kept), ...memberships.rows];
    changes.addMembers = [...changes.addMembers.filter(kept), ...memberships.current];
    changes.replaceMembershipHistory = [
      ...(changes.replaceMembershipHistory ?? []),
      ...memberships.pairs((segmentId, profileId) => ({ segmentId, profileId })),
    ];
  }
}

/** Histories derived again, per (funnel or segment, stored profile id) they replace. */
class Redated<Row, Current> {
  readonly replaced = new Set<string>();
  readonly rows: Row[] = [];
  readonly current: Current[] = [];

  add(key: string, storedIds: string[], rows: Row[], current: Current | undefined): void {
    for (const stored of storedIds) this.replaced.add(pairKey(key, stored));
    this.rows.push(...rows);
    if (current) this.current.push(current);
  }

  pairs<T>(make: (key: string, profileId: string) => T): T[] {
    return [...this.replaced].map((pair) => {
      const [key, profileId] = pair.split('\u0000') as [string, string];
      return make(key, profileId);
    });
  }
}

const pairKey = (funnelId: string, profileId: string) => `${funnelId}\u0000${profileId}`;

function toSegmentEvent(message: SegmentMessage): SegmentEvent {
  const name =
    message.type === 'track'
      ? (message.event ?? null)
      : message.type === 'page' || message.type === 'screen'
        ? (message.name ?? null)
        : null;
  return {
    messageId: message.messageId,
    type: message.type,
    name,
    timestamp: message.timestamp,
    properties: (message.properties ?? {}) as Record<string, unknown>,
    message: message as unknown as Record<string, unknown>,
  };
}

/** The states of these profiles, merged profiles folded in (their survivors added to `merged`). */
async function loadWithMerges(
  ctx: SegmentsStepContext,
  work: Work,
  profileIds: string[],
  merged: Set<string>,
) {
  const states = await ctx.store.loadStates(profileIds);
  const merges = (await ctx.state.mergesOf(profileIds)).filter(
    (m) => m.outcome === 'merged' && profileIds.includes(m.winnerId) && m.loserId !== m.winnerId,
  );
  if (merges.length === 0) return states;
  const losers = await ctx.store.loadStates(merges.map((m) => m.loserId));
  for (const merge of merges) {
    const loser = losers.get(merge.loserId);
    if (!loser) continue;
    const winner = states.get(merge.winnerId);
    const winnerState = (winner?.state as ProfileSegmentState | undefined) ?? emptyProfileState();
    merged.add(merge.winnerId);
    states.set(merge.winnerId, {
      profileId: merge.winnerId,
      state: mergeStates(work.model.plan, winnerState, loser.state as ProfileSegmentState),
      nextCheckAt: null,
      evaluatedAt: Math.max(winner?.evaluatedAt ?? 0, loser.evaluatedAt ?? 0),
    });
    endQuietly(
      work.changes,
      merge.loserId,
      loser.state as ProfileSegmentState,
      `merged into ${merge.winnerId}`,
      merge.at,
    );
    losers.delete(merge.loserId);
  }
  return states;
}

function endQuietly(
  changes: SegmentChanges,
  profileId: string,
  state: ProfileSegmentState,
  reason: string,
  at: string,
) {
  for (const [key, value] of Object.entries(state.facts)) {
    if (key.startsWith('segment:') && value === true) {
      const segmentId = key.slice('segment:'.length);
      changes.removeMembers.push({ segmentId, profileId });
      changes.history.push({ segmentId, profileId, change: 'exited', at, reason });
    }
    if (key.startsWith('funnel:') && typeof value === 'string') {
      const funnelId = key.slice('funnel:'.length);
      changes.removeStages.push({ funnelId, profileId });
      changes.stageHistory.push({ funnelId, profileId, fromStage: value, toStage: null, at });
    }
  }
  changes.deleteStates.push(profileId);
}

/** Consent and computed properties, kept by other processors, as the rules' facts. */
async function currentFacts(
  state: StateStore,
  profileIds: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const facts = new Map<string, Record<string, unknown>>();
  if (profileIds.length === 0) return facts;
  const profiles = await state.searchProfiles({ profileIds, limit: profileIds.length });
  for (const profile of profiles) {
    const own: Record<string, unknown> = {};
    for (const [purpose, decision] of Object.entries(profile.consent ?? {}))
      if (decision.state === 'granted' || decision.state === 'denied')
        own[factKey.consent(purpose)] = decision.state;
    facts.set(profile.profileId, own);
  }
  for (const row of await state.computedPropertiesOf(profileIds)) {
    const own = facts.get(row.profileId) ?? {};
    own[factKey.computed(row.name)] = row.value;
    facts.set(row.profileId, own);
  }
  return facts;
}

function withFacts(
  state: ProfileSegmentState,
  current: Record<string, unknown> | undefined,
): ProfileSegmentState {
  const facts: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state.facts))
    if (!key.startsWith('consent:') && !key.startsWith('computed:')) facts[key] = value;
  return { ...state, facts: { ...facts, ...current } };
}

// ---- re-checks --------------------------------------------------------------------------

const wallNow = (ctx: SegmentsStepContext) => (ctx.wallNow ?? Date.now)();

async function runRechecks(ctx: SegmentsStepContext, model: LiveModel): Promise<number> {
  const upToMs = await recheckUpTo(ctx);
  const due = await ctx.store.dueRechecks(upToMs, 1000);
  if (due.length === 0) return 0;
  const work: Work = { changes: emptyChanges(), states: new Map(), model, emits: [] };
  const states = await ctx.store.loadStates(due);
  // A re-check may be asked for because a computed property changed: read them as they are now.
  const facts = await currentFacts(ctx.state, [...states.keys()]);
  let checked = 0;
  for (const row of states.values()) {
    let state = pruneFacts(model, withFacts(row.state as ProfileSegmentState, facts.get(row.profileId)));
    // A requested re-check may name a time before the state's last evaluation: never go back.
    let at = row.nextCheckAt === null ? null : Math.max(row.nextCheckAt, row.evaluatedAt ?? 0);
    // Evaluated (by a build) at a time the events have not reached yet: later.
    if (at !== null && at > upToMs) continue;
    checked += 1;
    // Each expiry at its own instant, so an exit is stamped when the window ended.
    for (let i = 0; at !== null && at <= upToMs && i < 100; i++) {
      state = evaluateAndRecord(work, row.profileId, state, at, { trigger: 'time', emit: true });
      at = lastNextCheck(work, row.profileId);
    }
  }
  if (checked === 0) return 0;
  await finish(ctx, work, await ctx.store.getOffset());
  return checked;
}

/** The instant up to which windows may expire now (event-time.ts). */
async function recheckUpTo(ctx: SegmentsStepContext): Promise<number> {
  const clock = readEventClock(await ctx.store.getMeta(EVENT_CLOCK_META));
  const caughtUp = (await ctx.store.getOffset()) >= (await ctx.state.log.headSeq());
  return recheckHorizon(clock, {
    nowMs: ctx.now().getTime(),
    wallMs: wallNow(ctx),
    caughtUp,
    quietMs: ctx.quietMs ?? DEFAULT_QUIET_MS,
  });
}

function lastNextCheck(work: Work, profileId: string): number | null {
  return work.states.get(profileId)?.nextCheckAt ?? null;
}

// ---- evaluation and what it records -----------------------------------------------------

interface Trigger {
  trigger: 'event' | 'time' | 'build';
  emit: boolean;
  messageId?: string;
}

function evaluateAndRecord(
  work: Work,
  profileId: string,
  input: ProfileSegmentState,
  atMs: number,
  trigger: Trigger,
) {
  const outcome = evaluateProfile(work.model, input, new Date(atMs));
  const at = new Date(atMs).toISOString();
  const { changes } = work;
  work.states.set(profileId, {
    profileId,
    state: outcome.state,
    nextCheckAt: outcome.nextCheckAt,
    evaluatedAt: atMs,
  });
  for (const { segment, change } of outcome.memberships) {
    const reason = reasonText(trigger, segment, change);
    changes.history.push({ segmentId: segment.id, profileId, change, at, reason });
    if (change === 'entered')
      changes.addMembers.push({ segmentId: segment.id, profileId, since: at, reason });
    else {
      changes.addMembers = changes.addMembers.filter(
        (m) => !(m.segmentId === segment.id && m.profileId === profileId),
      );
      changes.removeMembers.push({ segmentId: segment.id, profileId });
    }
    if (trigger.emit)
      work.emits.push({
        profileId,
        build: (id) => membershipMessage(id, segment, change, reason, trigger, at, profileId),
      });
  }
  for (const stage of outcome.stages) recordStage(work, profileId, stage, at, trigger);
  return outcome.state;
}

/**
 * One stage change recorded (history row, current stage, event to emit), folded into the
 * funnel's previous change when both happen at one instant (foldAtInstant): a stay of no length
 * is no stay, in the history, the stage's `since` and the events emitted. A change back to the
 * stage held before that instant leaves nothing. As in the derived history, a change out of
 * every stage is never folded into (leaving the funnel for no time is still recorded).
 */
function recordStage(
  work: Work,
  profileId: string,
  stage: { funnelId: string; from: string | null; to: string | null },
  at: string,
  trigger: Trigger,
): void {
  const { changes } = work;
  const key = pairKey(stage.funnelId, profileId);
  const mine = (s: { funnelId: string; profileId: string }) =>
    s.funnelId === stage.funnelId && s.profileId === profileId;
  work.lastStage ??= new Map();
  const earlier = work.lastStage.get(key);
  let row: StageHistoryRow;
  let emit = earlier?.emit;
  let cause = { trigger };
  if (earlier && earlier.row.at === at && earlier.row.toStage !== null) {
    // The earlier change's stage never lasted: undo its `since`, then fold.
    changes.setStages = changes.setStages.filter((s) => !(mine(s) && s.since === at));
    const folded = foldAtInstant(
      { from: earlier.row.fromStage, to: earlier.row.toStage },
      { from: stage.from, to: stage.to },
    );
    if (!folded) {
      changes.stageHistory.splice(changes.stageHistory.indexOf(earlier.row), 1);
      if (earlier.emit) work.emits.splice(work.emits.indexOf(earlier.emit), 1);
      work.lastStage.delete(key);
      return;
    }
    row = earlier.row;
    row.toStage = folded.to;
    cause = earlier.cause;
    cause.trigger = trigger;
  } else {
    row = { funnelId: stage.funnelId, profileId, fromStage: stage.from, toStage: stage.to, at };
    changes.stageHistory.push(row);
    emit = undefined;
  }
  if (row.toStage === null) {
    changes.setStages = changes.setStages.filter((s) => !mine(s));
    changes.removeStages.push({ funnelId: stage.funnelId, profileId });
  } else changes.setStages.push({ funnelId: stage.funnelId, profileId, stage: row.toStage, since: at });
  if (trigger.emit && !emit) {
    // Built at the end of the step, from the row as folded by then.
    emit = {
      profileId,
      build: (id) =>
        stageMessage(
          id,
          { funnelId: row.funnelId, from: row.fromStage, to: row.toStage },
          cause.trigger,
          at,
          profileId,
        ),
    };
    work.emits.push(emit);
  }
  work.lastStage.set(key, { row, emit, cause });
  work.stagedAt ??= new Set();
  work.stagedAt.add(`${profileId}\u0000${at}`);
}

function reasonText(trigger: Trigger, segment: LiveSegment, change: 'entered' | 'exited'): string {
  if (trigger.trigger === 'build') return `segment built (version ${segment.version})`;
  if (trigger.trigger === 'time')
    return change === 'exited' ? 'a time window of the rule expired' : 'a time window of the rule opened';
  return `event ${trigger.messageId ?? ''} changed whether the rule holds`.replace('  ', ' ');
}

function messageIdOf(...parts: string[]): string {
  return `rapport-${createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 40)}`;
}

function membershipMessage(
  identity: Identity,
  segment: LiveSegment,
  change: 'entered' | 'exited',
  reason: string,
  trigger: Trigger,
  at: string,
  profileId: string,
): Record<string, unknown> {
  return {
    type: 'track',
    messageId: messageIdOf('segment', segment.id, String(segment.version), profileId, change, at),
    ...identity,
    event: change === 'entered' ? 'Segment Entered' : 'Segment Exited',
    timestamp: at,
    properties: {
      segment_id: segment.id,
      segment_name: segment.name,
      segment_version: segment.version,
      profile_id: profileId,
      reason,
      trigger: trigger.trigger,
      ...(trigger.messageId ? { caused_by: trigger.messageId } : {}),
    },
    context: { library: { name: 'rapport-segments' } },
  };
}

function stageMessage(
  identity: Identity,
  stage: { funnelId: string; from: string | null; to: string | null },
  trigger: Trigger,
  at: string,
  profileId: string,
): Record<string, unknown> {
  return {
    type: 'track',
    messageId: messageIdOf('stage', stage.funnelId, profileId, stage.from ?? '', stage.to ?? '', at),
    ...identity,
    event: 'Lifecycle Stage Changed',
    timestamp: at,
    properties: {
      funnel_id: stage.funnelId,
      from_stage: stage.from,
      to_stage: stage.to,
      profile_id: profileId,
      trigger: trigger.trigger,
      ...(trigger.messageId ? { caused_by: trigger.messageId } : {}),
    },
    context: { library: { name: 'rapport-segments' } },
  };
}

async function finish(ctx: SegmentsStepContext, work: Work, offset: number): Promise<void> {
  if (work.emits.length > 0) {
    const ids = [...new Set(work.emits.map((e) => e.profileId))];
    const identities = await ctx.state.identitiesOfProfiles(ids);
    const byProfile = new Map<string, Identity>();
    for (const row of identities) {
      const own = byProfile.get(row.profileId) ?? {};
      if (row.kind === 'user_id' && !own.userId) own.userId = row.value;
      if (row.kind === 'anonymous_id' && !own.anonymousId) own.anonymousId = row.value;
      byProfile.set(row.profileId, own);
    }
    const receivedAt = ctx.now();
    const profileOf = new Map<string, string>();
    const raw = work.emits.flatMap((e) => {
      const identity = byProfile.get(e.profileId);
      if (!identity?.userId && !identity?.anonymousId) return [];
      // One identifier is enough to resolve the profile; userId is the strongest.
      const message = e.build(
        identity.userId ? { userId: identity.userId } : { anonymousId: identity.anonymousId as string },
      );
      profileOf.set(String(message.messageId), e.profileId);
      return [message];
    });
    for (let i = 0; i < raw.length; i += 2000) {
      const parsed = parsePayload({ batch: raw.slice(i, i + 2000) }, 'batch', { receivedAt });
      for (const { message, json } of parsed.accepted) {
        const profileId = profileOf.get(message.messageId);
        work.changes.outbox.push({
          messageId: message.messageId,
          json,
          createdAt: receivedAt.toISOString(),
          ...(profileId ? { profileId } : {}),
        });
      }
    }
  }
  work.changes.states = [...work.states.values()];
  await ctx.store.commit(work.changes, offset);
}
