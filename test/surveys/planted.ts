// The planted biased survey on a real server: every person of `plantSurvey` identified with
// their engagement and region, a survey defined, and the respondents' answers sent through
// `POST /v1/survey-response` with the write key. Shared by the API and browser tests.
import { expect } from 'vitest';
import { type PlantedSurvey, plantSurvey } from '../../src/simulate/index.ts';
import { type TestServer, track } from '../support/server.ts';

export const SURVEY = {
  id: 'spring-nps',
  title: 'How are we doing?',
  intro: 'Two questions, one minute.',
  biasTraits: ['engagement', 'region'],
  questions: [
    { id: 'nps', kind: 'nps', text: 'How likely are you to recommend us to a friend?', required: true },
    { id: 'why', kind: 'text', text: 'What is the main reason for your score?' },
    { id: 'liked', kind: 'multiple', text: 'What do you like?', options: ['prices', 'service', 'delivery'] },
  ],
};

export const userIdOf = (index: number) => `survey-person-${index}`;

export async function plantSurveyWorld(t: TestServer, people = 1000, seed = 42): Promise<PlantedSurvey> {
  const world = plantSurvey({ seed, people });
  for (let i = 0; i < world.people.length; i += 500) {
    const batch = world.people.slice(i, i + 500).map((p) => ({
      type: 'identify',
      userId: userIdOf(p.index),
      traits: { engagement: p.engagement, region: p.region },
    }));
    expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  }
  await t.settle();
  expect((await t.adminRequest('POST', '/api/surveys', SURVEY)).status).toBe(200);
  for (const person of world.people.filter((p) => p.responds)) {
    const answer = await track(t, '/v1/survey-response', {
      surveyId: SURVEY.id,
      userId: userIdOf(person.index),
      answers: { nps: person.score, why: person.comment },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  }
  await t.settle();
  return world;
}
