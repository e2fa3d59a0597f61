// Editing a survey makes its next version (the one before kept in its history) and each answer
// keeps the version it answered; closing it refuses every later answer with a clear error (the
// API, the hosted page and a placement alike), and reopening takes answers again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePerson } from '../channels/support.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

let server: TestServer;
const survey = {
  id: 'checkout',
  title: 'Checkout',
  questions: [{ id: 'easy', kind: 'ces', text: 'How easy was it to pay?', required: true }],
};

beforeAll(async () => {
  server = await startTestServer();
  for (const i of [1, 2, 3]) await makePerson(server, `payer-${i}`);
}, 120_000);
afterAll(async () => server?.close());

const answer = (userId: string, value: number) =>
  track(server, '/v1/survey-response', { surveyId: 'checkout', userId, answers: { easy: value } });

describe('survey versions and closing', () => {
  it('an edit is the next version; answers keep the version they answered', async () => {
    const first = await server.adminRequest('POST', '/api/surveys', survey);
    expect(first.body.version).toBe(1);
    expect((await answer('payer-1', 6)).status).toBe(200);
    const edited = await server.adminRequest('POST', '/api/surveys', {
      ...survey,
      title: 'Paying at checkout',
      questions: [...survey.questions, { id: 'why', kind: 'text', text: 'What got in the way?' }],
    });
    expect(edited.body).toMatchObject({ version: 2, title: 'Paying at checkout' });
    expect(edited.body.history).toMatchObject([
      { version: 1, title: 'Checkout', questions: [{ id: 'easy' }] },
    ]);
    expect((await answer('payer-2', 3)).status).toBe(200);
    const results = (await server.admin('/api/surveys/checkout/results')).body;
    expect(results.byVersion).toEqual([
      { version: 1, responses: 1 },
      { version: 2, responses: 1 },
    ]);
  });

  it('a closed survey refuses answers with a clear error; the link page says so; reopening takes them again', async () => {
    const link = await server.adminRequest('POST', '/api/survey-links', {
      surveyId: 'checkout',
      profileId: (await server.admin('/api/profiles/lookup?userId=payer-3')).body.profileId,
    });
    const closed = await server.adminRequest('POST', '/api/surveys/checkout/close');
    expect(closed.status).toBe(200);
    expect(closed.body.closedAt).toBeDefined();
    expect(closed.body.version).toBe(2);
    const refused = await answer('payer-3', 7);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('RAPPORT_SURVEY_CLOSED');
    expect(refused.body.message).toMatch(
      /^the survey "checkout" was closed on \d{4}-\d{2}-\d{2}: it takes no more answers$/,
    );
    const page = await fetch(link.body.url);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('takes no more answers');
    const posted = await fetch(link.body.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'q_easy=7',
    });
    expect(posted.status).toBe(410);
    expect((await server.admin('/api/surveys/checkout/results')).body.responses).toBe(2);

    // Editing a closed survey keeps it closed.
    const edited = await server.adminRequest('POST', '/api/surveys', survey);
    expect(edited.body.closedAt).toBe(closed.body.closedAt);
    expect((await answer('payer-3', 7)).status).toBe(409);

    const reopened = await server.adminRequest('POST', '/api/surveys/checkout/reopen');
    expect(reopened.body.closedAt).toBeUndefined();
    expect((await answer('payer-3', 7)).status).toBe(200);
    expect((await server.admin('/api/surveys/checkout/results')).body.byVersion).toEqual([
      { version: 1, responses: 1 },
      { version: 2, responses: 1 },
      { version: 3, responses: 1 },
    ]);
  });

  it('closing an unknown survey is a 404', async () => {
    expect((await server.adminRequest('POST', '/api/surveys/nope/close')).status).toBe(404);
  });
});
