// What the realtime processor evaluates for one profile: the live segments (in dependency
// order, so `in segment "a"` sees a's membership from the same evaluation) and the funnels.
// Memberships and stages are kept in the state's facts (`segment:<id>`, `funnel:<id>`, and
// `stage` for the primary funnel), so the previous value is the state's own. Pure.
import type { SegmentRule } from '../ast.ts';
import { evaluateRule, nextRecheckAt } from '../incremental/evaluate.ts';
import { planTracking, type TrackingPlan } from '../incremental/plan.ts';
import { factKey, type ProfileSegmentState } from '../incremental/state.ts';
import { type FunnelDefinition, PRIMARY_FUNNEL_ID, stageOf } from '../lifecycle.ts';
import { referencedSegments } from '../walk.ts';

export interface LiveSegment {
  id: string;
  name: string;
  version: number;
  rule: SegmentRule;
}

export interface LiveModel {
  segments: LiveSegment[];
  funnels: FunnelDefinition[];
  plan: TrackingPlan;
}

export interface MembershipEvent {
  segment: LiveSegment;
  change: 'entered' | 'exited';
}

export interface StageEvent {
  funnelId: string;
  from: string | null;
  to: string | null;
}

export interface ProfileOutcome {
  state: ProfileSegmentState;
  memberships: MembershipEvent[];
  stages: StageEvent[];
  nextCheckAt: number | null;
}

export const funnelFactKey = (funnelId: string) => `funnel:${funnelId}`;

/** Segments ordered so that each comes after the segments it refers to. */
export function dependencyOrder(segments: LiveSegment[]): LiveSegment[] {
  const byId = new Map(segments.map((s) => [s.id, s]));
  const ordered: LiveSegment[] = [];
  const placed = new Set<string>();
  const visit = (segment: LiveSegment, depth: number) => {
    if (placed.has(segment.id) || depth > segments.length) return;
    for (const ref of referencedSegments(segment.rule)) {
      const target = byId.get(ref);
      if (target) visit(target, depth + 1);
    }
    placed.add(segment.id);
    ordered.push(segment);
  };
  for (const segment of segments) visit(segment, 0);
  return ordered;
}

export function buildModel(segments: LiveSegment[], funnels: FunnelDefinition[]): LiveModel {
  const rules = [...segments.map((s) => s.rule), ...funnels.flatMap((f) => f.stages.map((s) => s.rule))];
  return { segments: dependencyOrder(segments), funnels, plan: planTracking(rules) };
}

/** Sets or (undefined) removes a fact in the evaluation's own copy of the facts. */
function setFact(facts: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete facts[key];
  else facts[key] = value;
}

function remember(before: Map<string, unknown>, facts: Record<string, unknown>, key: string): void {
  if (!before.has(key)) before.set(key, Object.hasOwn(facts, key) ? facts[key] : undefined);
}

/**
 * Evaluates every funnel and segment at `now` against the state, folds the results into the
 * facts, and says what changed. Two passes, so a stage rule reading a membership (or a
 * segment reading the stage) settles; rules that would chase each other further are refused
 * at save time as cycles only between segments, so a third pass is not attempted.
 * The input is left as it is: the facts are copied once and the copy updated in place (it
 * runs for every profile an event touches; a copy per rule was most of the step's garbage).
 * No closures here: tsx names each one it creates (an Object.defineProperty a call).
 */
export function evaluateProfile(model: LiveModel, input: ProfileSegmentState, now: Date): ProfileOutcome {
  const facts = { ...input.facts };
  const state: ProfileSegmentState = { ...input, facts };
  const before = new Map<string, unknown>();
  for (let pass = 0; pass < 2; pass++) {
    for (const funnel of model.funnels) {
      const key = funnelFactKey(funnel.id);
      remember(before, facts, key);
      const stage = stageOf(funnel, state, now) ?? undefined;
      setFact(facts, key, stage);
      if (funnel.id === PRIMARY_FUNNEL_ID) setFact(facts, factKey.stage(), stage);
    }
    for (const segment of model.segments) {
      const key = factKey.segment(segment.id);
      remember(before, facts, key);
      setFact(facts, key, evaluateRule(segment.rule, state, now) ? true : undefined);
    }
  }
  const memberships: MembershipEvent[] = [];
  for (const segment of model.segments) {
    const key = factKey.segment(segment.id);
    const was = before.get(key) === true;
    const is = facts[key] === true;
    if (was !== is) memberships.push({ segment, change: is ? 'entered' : 'exited' });
  }
  const stages: StageEvent[] = [];
  for (const funnel of model.funnels) {
    const key = funnelFactKey(funnel.id);
    const from = (before.get(key) as string | undefined) ?? null;
    const to = (facts[key] as string | undefined) ?? null;
    if (from !== to) stages.push({ funnelId: funnel.id, from, to });
  }
  return { state, memberships, stages, nextCheckAt: nextCheckOf(model, state, now) };
}

/** The earliest instant after `now` at which any membership or stage can change without an event. */
export function nextCheckOf(model: LiveModel, state: ProfileSegmentState, now: Date): number | null {
  let next: number | null = null;
  for (const segment of model.segments) next = earlierCheck(next, segment.rule, state, now);
  for (const funnel of model.funnels)
    for (const stage of funnel.stages) next = earlierCheck(next, stage.rule, state, now);
  return next;
}

function earlierCheck(
  next: number | null,
  rule: SegmentRule,
  state: ProfileSegmentState,
  now: Date,
): number | null {
  const at = nextRecheckAt(rule, state, now);
  if (at === null) return next;
  return next === null || at.getTime() < next ? at.getTime() : next;
}

const factKeysOfModel = new WeakMap<LiveModel, Set<string>>();

/** The fact keys of the model's segments and funnels, built once per model (it runs per profile). */
function liveFactKeys(model: LiveModel): Set<string> {
  let keys = factKeysOfModel.get(model);
  if (keys) return keys;
  keys = new Set([
    ...model.segments.map((s) => factKey.segment(s.id)),
    ...model.funnels.map((f) => funnelFactKey(f.id)),
  ]);
  factKeysOfModel.set(model, keys);
  return keys;
}

/** Drops facts of segments and funnels that no longer exist (deleted while the profile slept). */
export function pruneFacts(model: LiveModel, state: ProfileSegmentState): ProfileSegmentState {
  const live = liveFactKeys(model);
  let facts: Record<string, unknown> | undefined;
  for (const key of Object.keys(state.facts)) {
    const stale = (key.startsWith('segment:') || key.startsWith('funnel:')) && !live.has(key);
    if (!stale) continue;
    facts ??= { ...state.facts };
    delete facts[key];
  }
  return facts ? { ...state, facts } : state;
}
