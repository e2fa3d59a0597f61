// A survey's results (src/surveys/results.ts) on the planted survey of src/simulate/survey.ts:
// N people in the base with engagement and region, the engaged answering far more often, every
// answer an NPS score and a comment. The baseline, in the same run after a warm-up, is one pass
// over the answers counting promoters and detractors (the raw NPS, the least any survey report
// does). The ratio says what the whole report costs over it: raking on two traits over the
// whole base, the response-bias gaps, the intervals, themes of the comments, trend and groups.
//
// `npm run bench -- surveys [--people N]`
import { plantSurvey } from '../src/simulate/index.ts';
import type { Survey } from '../src/surveys/definition.ts';
import { surveyResults } from '../src/surveys/results.ts';
import type { StoredResponse } from '../src/surveys/store.ts';

const SURVEY: Survey = {
  id: 'bench',
  title: 'Bench',
  questions: [
    { id: 'nps', kind: 'nps', text: 'Recommend?' },
    { id: 'why', kind: 'text', text: 'Why?' },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function time<T>(work: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = work();
  return { ms: performance.now() - start, result };
}

function rawNps(responses: readonly StoredResponse[]): number {
  let promoters = 0;
  let detractors = 0;
  for (const response of responses) {
    const score = Number(response.answers.nps);
    if (score >= 9) promoters++;
    else if (score <= 6) detractors++;
  }
  return (100 * (promoters - detractors)) / responses.length;
}

export default async function run(args: string[] = []): Promise<void> {
  const at = args.indexOf('--people');
  const people = at >= 0 ? Number(args[at + 1]) : 200_000;
  const world = plantSurvey({ seed: 3, people });
  const base = new Map(world.people.map((p) => [`p${p.index}`, [p.engagement, p.region]]));
  const responses: StoredResponse[] = world.people
    .filter((p) => p.responds)
    .map((p) => ({
      profileId: `p${p.index}`,
      surveyId: 'bench',
      responseKey: 'bench',
      answers: { nps: p.score, why: p.comment },
      channel: null,
      sendKey: null,
      answeredAt: new Date(Date.UTC(2026, 0, 1 + (p.index % 60))).toISOString(),
    }));
  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}; ${people.toLocaleString('en')} people, ${responses.length.toLocaleString('en')} answers`,
  );
  const options = { traits: ['engagement', 'region'], method: 'raking' as const, level: 0.95 };
  const merged = new Map<string, string>();
  rawNps(responses.slice(0, 1000));
  surveyResults(SURVEY, responses.slice(0, 1000), new Map([...base].slice(0, 10_000)), merged, options);
  const baseline = time(() => rawNps(responses));
  const report = time(() => surveyResults(SURVEY, responses, base, merged, options));
  const nps = report.result.questions[0]!.nps!;
  console.log(`baseline (raw NPS, one pass over the answers): ${baseline.ms.toFixed(1)} ms`);
  console.log(
    `results with raking, gaps, intervals, themes: ${report.ms.toFixed(0)} ms (${(report.ms / baseline.ms).toFixed(0)}× the baseline)`,
  );
  console.log(
    `  raw NPS ${nps.raw!.value.toFixed(1)}, raked ${nps.corrected!.value.toFixed(1)} [${nps.corrected!.low.toFixed(1)}, ${nps.corrected!.high.toFixed(1)}], truth ${world.truth.nps.toFixed(1)}; ${report.result.weighting.iterations} raking sweeps`,
  );
}
