// A survey's results, pure: per question the distribution (raw and re-weighted), NPS or the
// mean with their intervals raw and corrected, free-text themes; who answered against the whole
// base; the trend by week and the NPS by group of each chosen trait. The inputs are the stored
// answers, every live person's categories of the chosen traits, and the merge map (an answer
// given under a profile later merged away counts for the survivor).
import { type Question, type Survey, scaleOf } from './definition.ts';
import {
  type Estimate,
  type Gap,
  netPromoterScore,
  postStratify,
  rake,
  responseGaps,
  shares,
  type Weighting,
  weightedMean,
} from './estimate.ts';
import type { StoredResponse } from './store.ts';
import { type ThemeReport, themesOf } from './themes.ts';

export type WeightingMethod = 'raking' | 'post-stratification' | 'none';

export interface ResultsOptions {
  traits: readonly string[];
  method: WeightingMethod;
  level: number;
}

export interface QuestionResult {
  id: string;
  kind: Question['kind'];
  text: string;
  answered: number;
  distribution: { value: string; count: number; share: number; weightedShare: number }[];
  nps?: {
    raw: Estimate | null;
    corrected: Estimate | null;
    promoters: number;
    passives: number;
    detractors: number;
  };
  mean?: { raw: Estimate | null; corrected: Estimate | null };
  themes?: ThemeReport;
}

export interface SurveyResults {
  surveyId: string;
  title: string;
  responses: number;
  /** Live people in the base, and the share of them who answered. */
  base: number;
  responseRate: number;
  weighting: {
    method: WeightingMethod;
    traits: string[];
    uncoveredShare: number;
    iterations: number | null;
    converged: boolean | null;
    effectiveN: number;
  };
  gaps: (Omit<Gap, 'gap'> & { gap: Estimate | null })[];
  /** Who answered against everyone asked: the responders among the asked, compared with the asked. */
  asked: {
    people: number;
    responders: number;
    responseRate: number;
    answeredUnasked: number;
    gaps: {
      trait: string;
      category: string;
      askedShare: number;
      responderShare: number;
      gap: Estimate | null;
    }[];
  };
  byVersion: { version: number | null; responses: number }[];
  questions: QuestionResult[];
  /** Weekly (weeks starting Monday, UTC): answers and the first NPS question's raw NPS. */
  trend: { week: string; responses: number; nps: Estimate | null }[];
  byGroup: { trait: string; category: string; responses: number; nps: Estimate | null }[];
}

/** An estimate JSON can carry: none from fewer than two answers. */
function finite(estimate: Estimate): Estimate | null {
  return [estimate.value, estimate.low, estimate.high].every(Number.isFinite) ? estimate : null;
}

function countBy<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function weekOf(iso: string): string {
  const day = new Date(`${iso.slice(0, 10)}T00:00:00.000Z`);
  const monday = new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000);
  return monday.toISOString().slice(0, 10);
}

function weigh(method: WeightingMethod, base: string[][], responders: string[][]): Weighting {
  if (method === 'none' || (base[0]?.length ?? 0) === 0)
    return { method: 'none', weights: responders.map(() => 1), uncoveredShare: 0 };
  return method === 'raking' ? rake(base, responders) : postStratify(base, responders);
}

function questionResult(
  question: Question,
  rows: StoredResponse[],
  weights: number[],
  level: number,
): QuestionResult {
  const answeredIdx = rows.flatMap((row, i) => (row.answers[question.id] === undefined ? [] : [i]));
  const values = answeredIdx.map((i) => rows[i]!.answers[question.id]!);
  const w = answeredIdx.map((i) => weights[i]!);
  const result: QuestionResult = {
    id: question.id,
    kind: question.kind,
    text: question.text,
    answered: values.length,
    distribution: [],
  };
  const scale = scaleOf(question);
  const categories = scale
    ? Array.from({ length: scale.max - scale.min + 1 }, (_, k) => String(scale.min + k))
    : (question.options ?? []);
  if (categories.length > 0) {
    // Multiple choice: the share of answers that ticked each option (they add up past 1).
    const ticks = (value: unknown, category: string) =>
      Array.isArray(value) ? value.includes(category) : String(value) === category;
    const totalW = w.reduce((s, x) => s + x, 0) || 1;
    result.distribution = categories.map((category) => {
      let count = 0;
      let weighted = 0;
      values.forEach((value, i) => {
        if (ticks(value, category)) {
          count++;
          weighted += w[i]!;
        }
      });
      return {
        value: category,
        count,
        share: count / Math.max(1, values.length),
        weightedShare: weighted / totalW,
      };
    });
  }
  if (scale) {
    const numbers = values.map(Number);
    if (question.kind === 'nps') {
      const groups = shares(numbers.map((s) => (s >= 9 ? 'p' : s <= 6 ? 'd' : 'n')));
      result.nps = {
        raw: finite(netPromoterScore(numbers, undefined, level)),
        corrected: finite(netPromoterScore(numbers, w, level)),
        promoters: groups.get('p') ?? 0,
        passives: groups.get('n') ?? 0,
        detractors: groups.get('d') ?? 0,
      };
    } else {
      result.mean = {
        raw: finite(weightedMean(numbers, undefined, level)),
        corrected: finite(weightedMean(numbers, w, level)),
      };
    }
  }
  if (question.kind === 'text') result.themes = themesOf(values.map(String));
  return result;
}

/** The responders among the asked against the asked, trait by trait (no traits: counts only). */
function againstAsked(
  traits: readonly string[],
  people: ReadonlyMap<string, string[]>,
  asked: ReadonlySet<string>,
  responders: ReadonlySet<string>,
  level: number,
): SurveyResults['asked'] {
  const live = [...asked].filter((id) => people.has(id));
  const answeredAsked = live.filter((id) => responders.has(id));
  const answeredUnasked = [...responders].filter((id) => !asked.has(id)).length;
  const gaps =
    traits.length > 0 && live.length > 0
      ? responseGaps(
          traits,
          live.map((id) => people.get(id)!),
          answeredAsked.map((id) => people.get(id)!),
          level,
        ).map(({ baseShare, gap, ...rest }) => ({ ...rest, askedShare: baseShare, gap: finite(gap) }))
      : [];
  return {
    people: live.length,
    responders: answeredAsked.length,
    responseRate: live.length === 0 ? 0 : answeredAsked.length / live.length,
    answeredUnasked,
    gaps,
  };
}

/**
 * `asked`: the profiles asked (already mapped to the survivors of merges); responders are compared
 * with them as well as with the whole base.
 */
export function surveyResults(
  survey: Survey,
  responses: readonly StoredResponse[],
  people: ReadonlyMap<string, string[]>,
  merged: ReadonlyMap<string, string>,
  options: ResultsOptions,
  asked: ReadonlySet<string> = new Set(),
): SurveyResults {
  const rows = responses.filter((row) => people.has(merged.get(row.profileId) ?? row.profileId));
  const responderCells = rows.map((row) => people.get(merged.get(row.profileId) ?? row.profileId)!);
  const base = [...people.values()];
  const weighting = weigh(options.method, base, responderCells);
  const traits = [...options.traits];
  const questions = survey.questions.map((q) => questionResult(q, rows, weighting.weights, options.level));
  const npsQuestion = survey.questions.find((q) => q.kind === 'nps');
  const npsOf = (subset: StoredResponse[]) =>
    npsQuestion
      ? finite(
          netPromoterScore(
            subset.flatMap((r) =>
              r.answers[npsQuestion.id] === undefined ? [] : [Number(r.answers[npsQuestion.id])],
            ),
            undefined,
            options.level,
          ),
        )
      : null;
  const weeks = new Map<string, StoredResponse[]>();
  for (const row of rows) {
    const week = weekOf(row.answeredAt);
    const list = weeks.get(week);
    if (list) list.push(row);
    else weeks.set(week, [row]);
  }
  const byGroup = traits.flatMap((trait, t) => {
    const groups = new Map<string, StoredResponse[]>();
    rows.forEach((row, i) => {
      const category = responderCells[i]![t]!;
      const list = groups.get(category);
      if (list) list.push(row);
      else groups.set(category, [row]);
    });
    return [...groups]
      .sort((a, b) => b[1].length - a[1].length)
      .map(([category, list]) => ({ trait, category, responses: list.length, nps: npsOf(list) }));
  });
  const sumW = weighting.weights.reduce((s, x) => s + x, 0);
  const sumW2 = weighting.weights.reduce((s, x) => s + x * x, 0);
  return {
    surveyId: survey.id,
    title: survey.title,
    responses: rows.length,
    base: people.size,
    responseRate:
      people.size === 0
        ? 0
        : new Set(rows.map((r) => merged.get(r.profileId) ?? r.profileId)).size / people.size,
    weighting: {
      method: weighting.method === 'none' ? 'none' : options.method,
      traits,
      uncoveredShare: weighting.uncoveredShare,
      iterations: weighting.iterations ?? null,
      converged: weighting.converged ?? null,
      effectiveN: sumW2 === 0 ? 0 : sumW ** 2 / sumW2,
    },
    gaps:
      traits.length > 0
        ? responseGaps(traits, base, responderCells, options.level).map((g) => ({ ...g, gap: finite(g.gap) }))
        : [],
    asked: againstAsked(
      traits,
      people,
      asked,
      new Set(rows.map((r) => merged.get(r.profileId) ?? r.profileId)),
      options.level,
    ),
    byVersion: [...countBy(rows.map((r) => r.surveyVersion ?? null))]
      .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
      .map(([version, responses]) => ({ version, responses })),
    questions,
    trend: [...weeks]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([week, list]) => ({ week, responses: list.length, nps: npsOf(list) })),
    byGroup,
  };
}
