// Surveys through a real server, on both engines: a survey answered mostly by the engaged
// (planted), whose raw NPS overstates everyone's and whose re-weighted NPS recovers it; the
// hosted page a signed link opens (tampered and expired links refused); answers checked,
// stored once, refused without analytics consent, on the profile as traits and events, erased
// with the person and in the profile export.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestClock } from '../../src/pipeline/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { plantSurveyWorld, SURVEY, userIdOf } from './planted.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`surveys on ${engine.name}`, () => {
    let t: TestServer;
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    let world: Awaited<ReturnType<typeof plantSurveyWorld>>;
    const clock = new TestClock(new Date());

    beforeAll(async () => {
      if (engine.postgres) database = await createTestDatabase(clusterUrl);
      t = await startTestServer(database ? { databaseUrl: database.url } : {}, { clock });
      world = await plantSurveyWorld(t);
    }, 180_000);

    afterAll(async () => {
      await t?.close();
      await database?.drop();
    });

    const profileOf = async (index: number) =>
      (await t.admin(`/api/profiles/lookup?userId=${userIdOf(index)}`)).body.profileId as string;

    it('the raw NPS overstates everyone; re-weighting on engagement and region recovers it', async () => {
      const { truth } = world;
      for (const method of ['raking', 'post-stratification'] as const) {
        const answer = await t.admin(`/api/surveys/${SURVEY.id}/results?method=${method}`);
        expect(answer.status).toBe(200);
        const results = answer.body;
        expect(results.responses).toBe(truth.respondents);
        expect(results.base).toBe(world.people.length);
        const nps = results.questions.find((q: { id: string }) => q.id === 'nps').nps;
        expect(nps.raw.value).toBeCloseTo(truth.respondentNps, 8);
        expect(nps.raw.low).toBeGreaterThan(truth.nps);
        expect(nps.corrected.low).toBeLessThan(truth.nps);
        expect(nps.corrected.high).toBeGreaterThan(truth.nps);
        expect(Math.abs(nps.corrected.value - truth.nps)).toBeLessThan(Math.abs(nps.raw.value - truth.nps));
        const high = results.gaps.find(
          (g: { trait: string; category: string }) => g.trait === 'engagement' && g.category === 'high',
        );
        expect(high.gap.low).toBeGreaterThan(0);
        expect(results.weighting.method).toBe(method);
      }
      const results = (await t.admin(`/api/surveys/${SURVEY.id}/results`)).body;
      const themes = results.questions.find((q: { id: string }) => q.id === 'why').themes;
      expect(themes.themes[0].term).toMatch(/delivery|staff|great|slow/);
      expect(results.trend.reduce((s: number, w: { responses: number }) => s + w.responses, 0)).toBe(
        truth.respondents,
      );
      expect(results.byGroup.filter((g: { trait: string }) => g.trait === 'engagement')).toHaveLength(3);
    });

    it('refuses bad surveys naming the field', async () => {
      const none = await t.adminRequest('POST', '/api/surveys', { ...SURVEY, id: 'empty', questions: [] });
      expect(none.status).toBe(400);
      expect(none.body.message).toMatch(/questions/);
      const twice = await t.adminRequest('POST', '/api/surveys', {
        ...SURVEY,
        id: 'twice',
        questions: [SURVEY.questions[0], SURVEY.questions[0]],
      });
      expect(twice.status).toBe(400);
      expect(twice.body.field).toBe('questions/1/id');
      expect((await t.admin('/api/surveys/nope/results')).status).toBe(404);
    });

    it('an answer is checked, stored once, and lands on the profile as traits and an event', async () => {
      const person = world.people.find((p) => !p.responds)!;
      const send = (answers: Record<string, unknown>) =>
        track(t, '/v1/survey-response', { surveyId: SURVEY.id, userId: userIdOf(person.index), answers });
      const bad = await send({ nps: 11 });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('answers/nps');
      const first = await send({ nps: 3, liked: ['prices'] });
      expect(first.status).toBe(200);
      expect(first.body.stored).toBe(true);
      const again = await send({ nps: 10 });
      expect(again.body).toMatchObject({ stored: false, answers: { nps: 3 } });
      await t.settle();
      const profile = (await t.admin(`/api/profiles/${await profileOf(person.index)}`)).body;
      expect(profile.traits.survey_spring_nps_nps).toBe(3);
      const events = (await t.admin(`/api/profiles/${profile.profileId}/events`)).body.items;
      expect(
        events.filter((e: { name?: string; event?: string }) => (e.name ?? e.event) === 'Survey Answered'),
      ).toHaveLength(1);
      const unknown = await track(t, '/v1/survey-response', {
        surveyId: SURVEY.id,
        userId: 'never-seen',
        answers: { nps: 5 },
      });
      expect(unknown.status).toBe(404);
      const noKey = await track(
        t,
        '/v1/survey-response',
        { surveyId: SURVEY.id, userId: userIdOf(1), answers: { nps: 5 } },
        { authorization: '' },
      );
      expect(noKey.status).toBe(401);
    });

    it('an explicit analytics denial refuses the answer and stores nothing', async () => {
      const person = world.people.filter((p) => !p.responds)[1]!;
      const deny = await track(t, '/v1/batch', {
        batch: [
          {
            type: 'identify',
            userId: userIdOf(person.index),
            context: { consent: { categoryPreferences: { analytics: false } } },
          },
        ],
      });
      expect(deny.status).toBe(200);
      await t.settle();
      const answer = await track(t, '/v1/survey-response', {
        surveyId: SURVEY.id,
        userId: userIdOf(person.index),
        answers: { nps: 9 },
      });
      expect(answer.status).toBe(403);
      const exported = (await t.admin(`/api/profiles/${await profileOf(person.index)}/export`)).body;
      expect(exported.surveys.responses).toEqual([]);
    });

    it('the hosted page: a signed link opens the survey, the form stores the answer; tampered and expired links are refused', async () => {
      const person = world.people.filter((p) => !p.responds)[2]!;
      const link = await t.adminRequest('POST', '/api/survey-links', {
        surveyId: SURVEY.id,
        profileId: await profileOf(person.index),
      });
      expect(link.status).toBe(200);
      const url: string = link.body.url;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<legend>1. How likely are you to recommend us to a friend?');
      expect(html).toContain('name="viewport"');
      const tampered = `${url.slice(0, -3)}${url.endsWith('A') ? 'B' : 'A'}${url.slice(-2)}`;
      expect((await fetch(tampered)).status).toBe(400);
      const form = (body: string, to = url) =>
        fetch(to, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      const outOfRange = await form('q_nps=12');
      expect(outOfRange.status).toBe(400);
      expect(await outOfRange.text()).toContain('role="alert"');
      const saved = await form('q_nps=8&q_liked=prices&q_liked=service&q_why=Quick+delivery');
      expect(saved.status).toBe(200);
      expect(await saved.text()).toContain('Thank you');
      const exported = (await t.admin(`/api/profiles/${await profileOf(person.index)}/export`)).body;
      expect(exported.surveys.responses[0].answers).toEqual({
        nps: 8,
        liked: ['prices', 'service'],
        why: 'Quick delivery',
      });
      // 31 days later (links live 30 days by default) the same link is refused.
      clock.advance(31 * 86_400_000);
      try {
        expect((await fetch(url)).status).toBe(410);
        expect((await form('q_nps=8')).status).toBe(410);
      } finally {
        clock.advance(-31 * 86_400_000);
      }
    });

    it('erasure removes the person’s answers; the export includes them before', async () => {
      const person = world.people.find((p) => p.responds)!;
      const id = await profileOf(person.index);
      const before = (await t.admin(`/api/profiles/${id}/export`)).body;
      expect(before.surveys.responses).toHaveLength(1);
      const count = (await t.admin('/api/surveys')).body.surveys.find(
        (s: { id: string }) => s.id === SURVEY.id,
      ).responses;
      const erase = await t.adminRequest('DELETE', `/api/profiles/${id}`);
      expect(erase.status).toBe(202);
      for (let i = 0; i < 200; i++) {
        const job = (await t.admin(`/api/erasure-jobs/${erase.body.id}`)).body;
        if (job.status === 'complete') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const after = (await t.admin('/api/surveys')).body.surveys.find(
        (s: { id: string }) => s.id === SURVEY.id,
      ).responses;
      expect(after).toBe(count - 1);
    });
  });
