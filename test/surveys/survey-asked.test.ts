// Who was asked: every email carrying a survey link records `Survey Asked`, and so does every
// impression of a survey placement (GET /v1/decide answers the survey's questions and a token the
// page posts the answers with to POST /v1/survey-response). The results compare who answered
// with everyone asked as well as with the whole base. Planted: 40 people, 28 in the city; the
// 16 city people 0-15 are asked by email and 4 country people (21-27 odd) through the placement
// (the asked are 80% city against 70% in the base); 8 answer (4 city by email, 4 country from
// the placement) and one country person answers on a page without having been asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/channels/index.ts';
import { eventsNamed, makePerson, type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

let smtp: SmtpPeer;
let server: TestServer;
const profiles: string[] = [];
const PEOPLE = 40;
const regionOf = (i: number) => (i % 2 === 0 || i < 16 ? 'city' : 'country');

async function request(path: string) {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}` },
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
  return { status: response.status, body: (await response.json()) as any };
}

const emailTo = (i: number): OutgoingMessage => ({
  idempotencyKey: `journey:ask:i${i}:send:1`,
  profileId: profiles[i]!,
  channel: 'email',
  journeyId: 'ask',
  stepId: 'send',
  to: { email: `person-${i}@example.org` },
  content: { subject: 'A question', text: 'Tell us: rapport:survey/pulse' },
});

beforeAll(async () => {
  smtp = await startSmtpPeer();
  server = await startTestServer({ smtpUrl: smtp.url, emailFrom: 'Shop <hello@shop.example>' });
  for (let i = 0; i < PEOPLE; i++)
    profiles.push(
      await makePerson(
        server,
        `asked-${i}`,
        { email: `person-${i}@example.org`, region: regionOf(i) },
        { email: 'granted' },
      ),
    );
  const survey = await server.adminRequest('POST', '/api/surveys', {
    id: 'pulse',
    title: 'A quick pulse',
    biasTraits: ['region'],
    questions: [{ id: 'score', kind: 'nps', text: 'How likely are you to recommend us?', required: true }],
  });
  expect(survey.status).toBe(200);
  const placements = await server.adminRequest('PUT', '/api/placements', {
    placements: [{ id: 'account-page', defaultOfferId: 'pulse-survey' }],
    offers: [
      {
        id: 'pulse-survey',
        placement: 'account-page',
        priority: 0,
        expectedValue: 0,
        requiresPersonalization: false,
        survey: 'pulse',
      },
    ],
  });
  expect(placements.status, JSON.stringify(placements.body)).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe('everyone asked', () => {
  it('an email with a survey link records Survey Asked for its recipient and send', async () => {
    const email = server.server.channels.get('email')!;
    for (let i = 0; i < 16; i++) expect((await email.deliver(emailTo(i))).status).toBe('sent');
    const [asked] = await eventsNamed(server, profiles[0]!, 'Survey Asked');
    expect(asked?.properties).toMatchObject({
      survey_id: 'pulse',
      channel: 'email',
      send_key: 'journey:ask:i0:send:1',
      journey_id: 'ask',
    });
    // Four of them answer through their link.
    for (const mail of smtp.received.slice(0, 4)) {
      const link = /(http:\/\/[^\s]+\/s\/[^\s]+)/.exec(String(mail.text))![1]!;
      const answer = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'q_score=9',
      });
      expect(answer.status).toBe(200);
    }
  });

  it('a survey placement answers the questions and a token; the answer posted with it is stored', async () => {
    for (const i of [21, 23, 25, 27]) {
      const decided = await request(`/v1/decide?placement=account-page&userId=asked-${i}`);
      expect(decided.status).toBe(200);
      expect(decided.body.offer.id).toBe('pulse-survey');
      expect(decided.body.survey).toMatchObject({
        id: 'pulse',
        title: 'A quick pulse',
        questions: [{ id: 'score', kind: 'nps' }],
        respondUrl: '/v1/survey-response',
      });
      expect(decided.body.survey.pageUrl).toContain('/s/');
      const answer = await fetch(`${server.url}/v1/survey-response`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ surveyId: 'pulse', token: decided.body.survey.token, answers: { score: 3 } }),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { stored: boolean }).stored).toBe(true);
    }
    const [asked] = await eventsNamed(server, profiles[21]!, 'Survey Asked');
    expect(asked?.properties).toMatchObject({
      survey_id: 'pulse',
      channel: 'placement',
      placement: 'account-page',
    });
    const [answered] = await eventsNamed(server, profiles[21]!, 'Survey Answered');
    expect(answered?.properties).toMatchObject({
      survey_id: 'pulse',
      channel: 'placement',
      answers: { score: 3 },
    });
  });

  it('a person who answered is not shown the survey again; an unknown visitor is not asked', async () => {
    const again = await request('/v1/decide?placement=account-page&userId=asked-21');
    expect(again.body).toMatchObject({ offer: null, code: 'default_nothing_eligible' });
    expect(again.body.reason).toContain('answered already');
    const stranger = await request('/v1/decide?placement=account-page&anonymousId=never-seen');
    expect(stranger.body.offer).toBeNull();
    expect(stranger.body.survey).toBeUndefined();
  });

  it('the results compare who answered with everyone asked and with the whole base', async () => {
    // One person answers from a page with the write key, never asked.
    const unasked = await track(server, '/v1/survey-response', {
      surveyId: 'pulse',
      userId: 'asked-39',
      answers: { score: 10 },
    });
    expect(unasked.status).toBe(200);
    await server.settle();
    const results = (await server.admin('/api/surveys/pulse/results')).body;
    // Asked: 16 by email (all city) and 4 by the placement (all country): 20 people, 80% city.
    expect(results.asked).toMatchObject({ people: 20, responders: 8, answeredUnasked: 1 });
    expect(results.asked.responseRate).toBeCloseTo(8 / 20, 10);
    const city = results.asked.gaps.find((g: { category: string }) => g.category === 'city');
    expect(city.askedShare).toBeCloseTo(16 / 20, 10);
    expect(city.responderShare).toBeCloseTo(4 / 8, 10);
    expect(city.gap.value).toBeCloseTo(4 / 8 - 16 / 20, 10);
    expect(city.gap.low).toBeLessThan(city.gap.value);
    expect(city.gap.high).toBeGreaterThan(city.gap.value);
    // Against the whole base (half city), the comparison is with 70% city.
    const cityInBase = results.gaps.find((g: { category: string }) => g.category === 'city');
    const cityPeople = Array.from({ length: PEOPLE }, (_, i) => regionOf(i)).filter(
      (r) => r === 'city',
    ).length;
    expect(cityInBase.baseShare).toBeCloseTo(cityPeople / PEOPLE, 10);
    expect(results.responses).toBe(9);
  });
});
