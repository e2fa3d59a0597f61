// The funnel report, from the state store's lifecycle_stage (where each profile is now) and
// lifecycle_history (every transition, stamped with the time of the event that caused it or
// the instant a window expired). Pure over those rows; the caller picks the cohort.
import type { FunnelTallies, StageHistoryRow, StageRow } from '../../store/index.ts';
import type { FunnelDefinition } from '../lifecycle.ts';

export interface FunnelStageReport {
  id: string;
  name: string;
  /** Profiles whose current stage is this one. */
  current: number;
  /** Profiles that have been at this stage or a later one at some time. */
  reached: number;
  /** reached / reached of the previous stage (null for the first stage or when it reached none). */
  conversionFromPrevious: number | null;
  /** Median of completed stays (entered, then left for any other stage), in ms; null without any. */
  medianTimeInStageMs: number | null;
  completedStays: number;
}

export interface FunnelReport {
  funnelId: string;
  cohort: string | null;
  profiles: number;
  stages: FunnelStageReport[];
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export type { FunnelTallies };

/** The tallies over rows in memory: the reference the stores' SQL (SegmentStore.funnelTallies) is tested against. */
export function funnelTallies(
  funnel: FunnelDefinition,
  stages: StageRow[],
  history: StageHistoryRow[],
  /** Null: everyone. Otherwise the ids (of people, not merged-away profiles) to count. */
  cohort: ReadonlySet<string> | null,
  /** Merged-away profile → the profile it ended in: a person merged from two profiles counts once. */
  mergedInto: ReadonlyMap<string, string> = new Map(),
): FunnelTallies {
  const inCohort = (id: string) => cohort === null || cohort.has(id);
  const index = new Map(funnel.stages.map((s, i) => [s.id, i]));
  const current = funnel.stages.map(() => 0);
  const furthest = new Map<string, number>();
  for (const row of stages) {
    // A merged-away profile is no one now; its history still counts for the survivor below.
    if (mergedInto.has(row.profileId) || !inCohort(row.profileId)) continue;
    const i = index.get(row.stage);
    if (i === undefined) continue;
    current[i] = (current[i] ?? 0) + 1;
    furthest.set(row.profileId, Math.max(furthest.get(row.profileId) ?? -1, i));
  }
  const stays: number[][] = funnel.stages.map(() => []);
  const entered = new Map<string, { stage: number; at: number }>();
  for (const row of history) {
    const person = mergedInto.get(row.profileId) ?? row.profileId;
    if (!inCohort(person)) continue;
    const at = Date.parse(row.at);
    const open = entered.get(row.profileId);
    if (open && open.stage === index.get(row.fromStage ?? '')) stays[open.stage]?.push(at - open.at);
    const to = row.toStage === null ? undefined : index.get(row.toStage);
    if (to === undefined) {
      entered.delete(row.profileId);
      continue;
    }
    entered.set(row.profileId, { stage: to, at });
    furthest.set(person, Math.max(furthest.get(person) ?? -1, to));
  }
  const furthestCounts = funnel.stages.map(() => 0);
  for (const f of furthest.values()) furthestCounts[f] = (furthestCounts[f] ?? 0) + 1;
  return {
    current,
    furthest: furthestCounts,
    completedStays: stays.map((s) => s.length),
    medianStayMs: stays.map(median),
  };
}

/** The report from the tallies: reached, conversion and the stage names. */
export function reportFromTallies(
  funnel: FunnelDefinition,
  tallies: FunnelTallies,
  cohortLabel: string | null,
): FunnelReport {
  // Reached stage i: furthest stage is i or later.
  const reached = funnel.stages.map(() => 0);
  for (let i = funnel.stages.length - 1, sum = 0; i >= 0; i--) {
    sum += tallies.furthest[i] ?? 0;
    reached[i] = sum;
  }
  return {
    funnelId: funnel.id,
    cohort: cohortLabel,
    profiles: reached[0] ?? 0,
    stages: funnel.stages.map((stage, i) => {
      const previous = i === 0 ? 0 : (reached[i - 1] as number);
      return {
        id: stage.id,
        name: stage.name,
        current: tallies.current[i] ?? 0,
        reached: reached[i] as number,
        conversionFromPrevious: i === 0 || previous === 0 ? null : (reached[i] as number) / previous,
        medianTimeInStageMs: tallies.medianStayMs[i] ?? null,
        completedStays: tallies.completedStays[i] ?? 0,
      };
    }),
  };
}

/** The report over rows in memory: the reference for the stores' SQL, and for tests. */
export function funnelReport(
  funnel: FunnelDefinition,
  stages: StageRow[],
  history: StageHistoryRow[],
  cohort: { label: string; profileIds: Set<string> } | null,
  mergedInto: ReadonlyMap<string, string> = new Map(),
): FunnelReport {
  return reportFromTallies(
    funnel,
    funnelTallies(funnel, stages, history, cohort?.profileIds ?? null, mergedInto),
    cohort?.label ?? null,
  );
}
