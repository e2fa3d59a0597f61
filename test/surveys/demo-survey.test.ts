// `rapport demo`'s planted survey: a simulated store sent to a real server, then the survey
// answered mostly by the engaged (engagement from what each person did in the world). The raw
// NPS overstates everyone's (the truth, the world's own NPS draws of everyone identified); the
// raked one is nearer and its interval holds the truth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SURVEY, plantDemoSurvey, runDemo, simulateWorld } from '../../src/simulate/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const WORLD = {
  kind: 'store' as const,
  seed: 11,
  people: 1500,
  days: 90,
  start: new Date('2026-01-01T00:00:00Z'),
};

describe('the demo survey', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('plants a survey whose corrected NPS recovers everyone’s', async () => {
    await runDemo({ ...WORLD, url: t.url, writeKey: t.writeKey, batchSize: 500 });
    await t.settle();
    const summary = await plantDemoSurvey(
      { url: t.url, adminToken: t.adminToken, writeKey: t.writeKey, seed: WORLD.seed },
      simulateWorld(WORLD).truth(),
    );
    expect(summary.respondents).toBeGreaterThan(50);
    expect(summary.respondentNps - summary.truthNps).toBeGreaterThan(10);
    await t.settle();
    const results = (await t.admin(`/api/surveys/${DEMO_SURVEY.id}/results?method=raking`)).body;
    expect(results.responses).toBe(summary.respondents);
    const nps = results.questions.find((q: { id: string }) => q.id === 'nps').nps;
    expect(nps.raw.value).toBeCloseTo(summary.respondentNps, 8);
    expect(Math.abs(nps.corrected.value - summary.truthNps)).toBeLessThan(
      Math.abs(nps.raw.value - summary.truthNps),
    );
    expect(nps.corrected.low).toBeLessThan(summary.truthNps);
    expect(nps.corrected.high).toBeGreaterThan(summary.truthNps);
  }, 300_000);
});
