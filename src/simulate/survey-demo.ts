// With an admin token, `rapport demo` also plants a survey answered mostly by the engaged, so the
// Surveys page is full at start and its correction can be checked against the truth. Every
// identified person gets an `engagement` trait from what they did in the world (2+ orders or
// services: high, 1: medium, none: low) and a planted `region`; their answer is drawn from their
// engagement's distribution (survey.ts; the store's own `NPS Submitted` after a first order is
// another survey), and they answer at survey.ts's response rates, far higher for the engaged.
// The truth (everyone's NPS, answered or not) is in the summary the command prints.
import { type DemoFetchOptions, demoFetch } from './admin-fetch.ts';
import { SendRefusedError } from './send.ts';
import { type SurveyPerson, surveyPersonFor, surveyTruthOf } from './survey.ts';
import type { PersonTruth } from './types.ts';

export const DEMO_SURVEY = {
  id: 'demo-nps',
  title: 'How likely are you to recommend us?',
  intro: 'One question and a comment, one minute.',
  biasTraits: ['engagement', 'region'],
  questions: [
    { id: 'nps', kind: 'nps', text: 'How likely are you to recommend us to a friend?', required: true },
    { id: 'why', kind: 'text', text: 'What is the main reason for your score?' },
  ],
} as const;

export interface DemoSurveySummary {
  surveyId: string;
  asked: number;
  respondents: number;
  /** Everyone's NPS (the truth), and the respondents' (what a raw reading shows). */
  truthNps: number;
  respondentNps: number;
}

async function post(
  url: string,
  path: string,
  auth: string,
  body: unknown,
  retry: DemoFetchOptions = {},
): Promise<Response> {
  const response = await demoFetch(
    new URL(path, url),
    {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    retry,
  );
  if (!response.ok && response.status !== 404)
    throw new SendRefusedError(
      response.status,
      `POST ${path} was refused (${response.status}): ${await response.text()}`,
    );
  return response;
}

function engagementOf(truth: PersonTruth): SurveyPerson['engagement'] {
  return truth.purchases >= 2 ? 'high' : truth.purchases === 1 ? 'medium' : 'low';
}

export async function plantDemoSurvey(
  options: { url: string; adminToken: string; writeKey: string; seed: number },
  truths: Iterable<PersonTruth>,
): Promise<DemoSurveySummary> {
  const people: (SurveyPerson & { userId: string })[] = [];
  for (const truth of truths) {
    if (!truth.userId) continue;
    const person = surveyPersonFor(
      options.seed,
      truth.index,
      engagementOf(truth),
      truth.advocacy.npsScore ?? undefined,
    );
    people.push({ ...person, userId: truth.userId });
  }
  const writeAuth = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  for (let i = 0; i < people.length; i += 500) {
    const batch = people.slice(i, i + 500).map((p) => ({
      type: 'identify',
      userId: p.userId,
      messageId: `demo-survey-traits-${p.index}`,
      traits: { engagement: p.engagement, region: p.region },
    }));
    // A batch is keyed by messageId: sent twice, it lands once.
    await post(options.url, '/v1/batch', writeAuth, { batch }, { idempotent: true });
  }
  await post(options.url, '/api/surveys', `Bearer ${options.adminToken}`, DEMO_SURVEY, {
    landed: async () => {
      const made = await demoFetch(new URL(`/api/surveys/${DEMO_SURVEY.id}`, options.url), {
        headers: { authorization: `Bearer ${options.adminToken}` },
      });
      return made.status === 200 ? made : undefined;
    },
  });
  const respondents = people.filter((p) => p.responds);
  // A few at a time; a person the server has not resolved yet (404) is retried for a minute.
  for (let i = 0; i < respondents.length; i += 8) {
    await Promise.all(
      respondents.slice(i, i + 8).map(async (p) => {
        for (let attempt = 0; ; attempt++) {
          const response = await post(
            options.url,
            '/v1/survey-response',
            writeAuth,
            {
              surveyId: DEMO_SURVEY.id,
              userId: p.userId,
              messageId: `demo-survey-${p.index}`,
              answers: { nps: p.score, why: p.comment },
            },
            { idempotent: true },
          );
          if (response.ok) return;
          if (attempt >= 60)
            throw new SendRefusedError(404, `the server never resolved ${p.userId} for the demo survey`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }),
    );
  }
  const truth = surveyTruthOf(people);
  return {
    surveyId: DEMO_SURVEY.id,
    asked: people.length,
    respondents: truth.respondents,
    truthNps: truth.nps,
    respondentNps: truth.respondentNps,
  };
}
