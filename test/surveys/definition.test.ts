import { describe, expect, it } from 'vitest';
import { checkAnswers, checkSurvey, type Survey, SurveyInvalidError } from '../../src/surveys/definition.ts';
import { themesOf } from '../../src/surveys/themes.ts';

const survey: Survey = {
  id: 'q4',
  title: 'How are we doing?',
  questions: [
    { id: 'nps', kind: 'nps', text: 'How likely are you to recommend us?', required: true },
    { id: 'effort', kind: 'ces', text: 'How easy was it?' },
    { id: 'liked', kind: 'multiple', text: 'What did you like?', options: ['price', 'service', 'delivery'] },
    { id: 'channel', kind: 'single', text: 'How did you hear of us?', options: ['friend', 'ad'] },
    { id: 'why', kind: 'text', text: 'Why?' },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function refusal(work: () => unknown): SurveyInvalidError {
  try {
    work();
  } catch (error) {
    if (error instanceof SurveyInvalidError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('survey definitions', () => {
  it('refuses duplicate ids, choices without options and a scale that does not go up', () => {
    expect(
      refusal(() => checkSurvey({ ...survey, questions: [survey.questions[0]!, survey.questions[0]!] }))
        .field,
    ).toBe('questions/1/id');
    expect(
      refusal(() =>
        checkSurvey({ ...survey, questions: [{ id: 'a', kind: 'single', text: 'x', options: ['only'] }] }),
      ).field,
    ).toBe('questions/0/options');
    expect(
      refusal(() =>
        checkSurvey({ ...survey, questions: [{ id: 'a', kind: 'scale', text: 'x', min: 5, max: 5 }] }),
      ).field,
    ).toBe('questions/0/max');
    expect(() => checkSurvey(survey)).not.toThrow();
  });
});

describe('answers', () => {
  it('keeps numbers for scales, known choices and trimmed text', () => {
    expect(
      checkAnswers(survey, {
        nps: '9',
        liked: ['price', 'price'],
        why: '  cheap ',
        channel: 'ad',
        effort: '',
      }),
    ).toEqual({
      nps: 9,
      liked: ['price'],
      why: 'cheap',
      channel: 'ad',
    });
  });

  it('names the question of a bad answer', () => {
    expect(refusal(() => checkAnswers(survey, { nps: 11 })).field).toBe('answers/nps');
    expect(refusal(() => checkAnswers(survey, { nps: 9, effort: 0 })).field).toBe('answers/effort');
    expect(refusal(() => checkAnswers(survey, { nps: 9.5 })).message).toMatch(/whole number from 0 to 10/);
    expect(refusal(() => checkAnswers(survey, { nps: 9, liked: ['cake'] })).field).toBe('answers/liked');
    expect(refusal(() => checkAnswers(survey, { nps: 9, ghost: 1 })).field).toBe('answers/ghost');
    expect(refusal(() => checkAnswers(survey, { why: 'no score' })).field).toBe('answers/nps');
  });
});

describe('free-text themes', () => {
  it('groups answers under the recurring term they contain, most frequent first', () => {
    const report = themesOf([
      'Slow delivery and rude staff',
      'slow delivery again!',
      'The delivery was slow',
      'Great prices',
      'great prices, friendly staff',
      'I love it',
    ]);
    expect(report.themes.map((t) => [t.term, t.count])).toEqual([
      ['delivery', 3],
      ['great prices', 2],
    ]);
    expect(report.unthemed).toBe(1);
    expect(report.themes[0]!.examples).toContain('slow delivery again!');
  });
});

describe('survey links in logs', () => {
  it('a logged request names the survey page but not the token that answers as the person', async () => {
    const { requestForLog } = await import('../../src/auth/index.ts');
    const logged = requestForLog({ method: 'POST', url: '/s/eyJ2IjoicSJ9.c2lnbmF0dXJl?x=1' });
    expect(logged.url).toBe('/s/[redacted]?x=1');
  });
});
