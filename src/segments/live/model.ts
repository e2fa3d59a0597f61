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

function withFact(state: ProfileSegmentState, key: string, value: unknown): ProfileSegmentState {
  const facts = { ...state.facts };
  if (value === undefined) delete facts[key];
  else facts[key] = value;
  return { ...state, facts };
}

/**
 * Evaluates every funnel and segment at `now` against the state, folds the results into the
 * facts, and says what changed. Two passes, so a stage rule reading a membership (or a
 * segment reading the stage) settles; rules that would chase each other further are refused
 * at save time as cycles only between segments, so a third pass is not attempted.
 */
export function evaluateProfile(model: LiveModel, input: ProfileSegmentState, now: Date): ProfileOutcome {
  let state = input;
  const before = new Map<string, unknown>();
  const remember = (key: string) => {
    if (!before.has(key)) before.set(key, Object.hasOwn(state.facts, key) ? state.facts[key] : undefined);
  };
  for (let pass = 0; pass < 2; pass++) {
    for (const funnel of model.funnels) {
      const key = funnelFactKey(funnel.id);
      remember(key);
      const stage = stageOf(funnel, state, now) ?? undefined;
      state = withFact(state, key, stage);
      if (funnel.id === PRIMARY_FUNNEL_ID) state = withFact(state, factKey.stage(), stage);
    }
    for (const segment of model.segments) {
      const key = factKey.segment(segment.id);
      remember(key);
      state = withFact(state, key, evaluateRule(segment.rule, state, now) ? true : undefined);
    }
  }
  const memberships: MembershipEvent[] = [];
  for (const segment of model.segments) {
    const key = factKey.segment(segment.id);
    const was = before.get(key) === true;
    const is = state.facts[key] === true;
    if (was !== is) memberships.push({ segment, change: is ? 'entered' : 'exited' });
  }
  const stages: StageEvent[] = [];
  for (const funnel of model.funnels) {
    const key = funnelFactKey(funnel.id);
    const from = (before.get(key) as string | undefined) ?? null;
    const to = (state.facts[key] as string | undefined) ?? null;
    if (from !== to) stages.push({ funnelId: funnel.id, from, to });
  }
  return { state, memberships, stages, nextCheckAt: nextCheckOf(model, state, now) };
}

/** The earliest instant after `now` at which any membership or stage can change without an event. */
export function nextCheckOf(model: LiveModel, state: ProfileSegmentState, now: Date): number | null {
  let next: number | null = null;
  const consider = (rule: SegmentRule) => {
    const at = nextRecheckAt(rule, state, now);
    if (at !== null && (next === null || at.getTime() < next)) next = at.getTime();
  };
  for (const segment of model.segments) consider(segment.rule);
  for (const funnel of model.funnels) for (const stage of funnel.stages) consider(stage.rule);
  return next;
}

/** Drops facts of segments and funnels that no longer exist (deleted while the profile slept). */
export function pruneFacts(model: LiveModel, state: ProfileSegmentState): ProfileSegmentState {
  const segments = new Set(model.segments.map((s) => factKey.segment(s.id)));
  const funnels = new Set(model.funnels.map((f) => funnelFactKey(f.id)));
  let facts: Record<string, unknown> | undefined;
  for (const key of Object.keys(state.facts)) {
    const stale =
      (key.startsWith('segment:') && !segments.has(key)) || (key.startsWith('funnel:') && !funnels.has(key));
    if (!stale) continue;
    facts ??= { ...state.facts };
    delete facts[key];
  }
  return facts ? { ...state, facts } : state;
}
