// A planted survey whose respondents are biased toward the engaged: every person has an
// engagement level and a region, a true 0–10 answer to "how likely are you to recommend us"
// drawn from their engagement's distribution, and a chance of answering that rises steeply with
// engagement (and a little in the city). The truth is everyone's NPS, answered or not; the raw
// NPS of the respondents overstates it, and a correction on engagement and region recovers it.
import { Random } from './random.ts';

export type Engagement = 'high' | 'medium' | 'low';

export const SURVEY_PLANT = {
  engagementShares: { high: 0.2, medium: 0.3, low: 0.5 } as Record<Engagement, number>,
  /** P(promoter), P(passive); the rest detractors. */
  answers: {
    high: [0.7, 0.2],
    medium: [0.4, 0.35],
    low: [0.15, 0.3],
  } as Record<Engagement, [number, number]>,
  responseRate: { high: 0.4, medium: 0.15, low: 0.04 } as Record<Engagement, number>,
  cityShare: 0.6,
  cityResponseLift: 1.3,
  comments: {
    promoter: [
      'Great service and friendly staff',
      'Fast delivery, great prices',
      'Friendly staff every time',
    ],
    passive: ['Fine overall, delivery could be faster', 'Good prices but the website is confusing'],
    detractor: [
      'Slow delivery and nobody answered my email',
      'Too expensive for what it is',
      'Slow delivery again',
    ],
  },
} as const;

export interface SurveyPerson {
  index: number;
  engagement: Engagement;
  region: 'city' | 'country';
  score: number;
  responds: boolean;
  comment: string;
}

export interface PlantedSurvey {
  people: SurveyPerson[];
  /** The NPS of everyone (the finite population's truth) and of the respondents. */
  truth: { nps: number; respondentNps: number; respondents: number };
}

const points = (score: number) => (score >= 9 ? 100 : score <= 6 ? -100 : 0);

function scoreFor(random: Random, engagement: Engagement): number {
  const [promoter, passive] = SURVEY_PLANT.answers[engagement];
  const draw = random.uniform();
  if (draw < promoter) return random.integer(9, 10);
  if (draw < promoter + passive) return random.integer(7, 8);
  return random.integer(0, 6);
}

/** One person's planted survey draws; `engagement` given when the world already decides it. */
export function surveyPersonFor(
  seed: number,
  index: number,
  engagement?: Engagement,
  score?: number,
): SurveyPerson {
  const random = new Random(seed, index, 7);
  const u = random.uniform();
  const { high, medium } = SURVEY_PLANT.engagementShares;
  const drawn: Engagement = u < high ? 'high' : u < high + medium ? 'medium' : 'low';
  const level = engagement ?? drawn;
  const region = random.chance(SURVEY_PLANT.cityShare) ? 'city' : 'country';
  const drawnScore = scoreFor(random, level);
  const answer = score ?? drawnScore;
  const rate = SURVEY_PLANT.responseRate[level] * (region === 'city' ? SURVEY_PLANT.cityResponseLift : 1);
  const responds = random.chance(Math.min(1, rate));
  const group = answer >= 9 ? 'promoter' : answer <= 6 ? 'detractor' : 'passive';
  const comment = random.pick(SURVEY_PLANT.comments[group]);
  return { index, engagement: level, region, score: answer, responds, comment };
}

export function surveyTruthOf(people: readonly SurveyPerson[]): PlantedSurvey['truth'] {
  const nps = (list: readonly SurveyPerson[]) =>
    list.reduce((s, p) => s + points(p.score), 0) / Math.max(1, list.length);
  const respondents = people.filter((p) => p.responds);
  return { nps: nps(people), respondentNps: nps(respondents), respondents: respondents.length };
}

export function plantSurvey(options: { seed: number; people: number }): PlantedSurvey {
  const people = Array.from({ length: options.people }, (_, index) => surveyPersonFor(options.seed, index));
  return { people, truth: surveyTruthOf(people) };
}
