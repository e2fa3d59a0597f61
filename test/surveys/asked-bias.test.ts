// The response-bias report against everyone asked, on a planted world of 40,000 people whose truth
// is known in closed form. Who is asked depends on the region (90% of city people, 30% of country
// people: the mailing list is city-heavy); who answers, once asked, depends on engagement and a
// little on the region (the survey plant's rates). So the asked are 81.8% city against 60% in
// the base, engagement is the same among the asked as in the base, and the responders' shares
// follow from the rates. Each gap's interval must contain the planted gap.
import { describe, expect, it } from 'vitest';
import { plantSurvey, Random, SURVEY_PLANT } from '../../src/simulate/index.ts';
import type { StoredResponse } from '../../src/surveys/index.ts';
import { surveyResults } from '../../src/surveys/index.ts';

const ASK_RATE = { city: 0.9, country: 0.3 } as const;
const { engagementShares, responseRate, cityShare, cityResponseLift } = SURVEY_PLANT;
const regions = { city: cityShare, country: 1 - cityShare } as const;
type Region = keyof typeof regions;
type Level = keyof typeof engagementShares;

/** P(engagement, region, asked, answers), from the plant's parameters. */
function joint(level: Level, region: Region): number {
  const rate = Math.min(1, responseRate[level] * (region === 'city' ? cityResponseLift : 1));
  return engagementShares[level] * regions[region] * ASK_RATE[region] * rate;
}
const levels = Object.keys(engagementShares) as Level[];
const sumOver = (f: (level: Level, region: Region) => number) =>
  levels.reduce((s, l) => s + f(l, 'city') + f(l, 'country'), 0);
const answered = sumOver(joint);
const askedTotal = regions.city * ASK_RATE.city + regions.country * ASK_RATE.country;
const planted = {
  askedCity: (regions.city * ASK_RATE.city) / askedTotal,
  responderCity: levels.reduce((s, l) => s + joint(l, 'city'), 0) / answered,
  askedHigh: engagementShares.high,
  responderHigh: (joint('high', 'city') + joint('high', 'country')) / answered,
};

describe('who answered against everyone asked, on a planted world', () => {
  const world = plantSurvey({ seed: 7, people: 40_000 });
  const id = (i: number) => `p${i}`;
  const asked = new Set(
    world.people.filter((p) => new Random(7, p.index, 11).chance(ASK_RATE[p.region])).map((p) => id(p.index)),
  );
  const people = new Map(world.people.map((p) => [id(p.index), [p.engagement, p.region]]));
  const responses: StoredResponse[] = world.people
    .filter((p) => p.responds && asked.has(id(p.index)))
    .map((p) => ({
      profileId: id(p.index),
      surveyId: 'planted',
      responseKey: 'planted',
      answers: { nps: p.score },
      channel: 'email',
      sendKey: null,
      answeredAt: '2026-06-01T00:00:00.000Z',
    }));
  const survey = {
    id: 'planted',
    title: 'Planted',
    questions: [{ id: 'nps', kind: 'nps' as const, text: 'Recommend?' }],
    createdAt: '',
    updatedAt: '',
  };
  const results = surveyResults(
    survey,
    responses,
    people,
    new Map(),
    { traits: ['engagement', 'region'], method: 'raking', level: 0.95 },
    asked,
  );
  const gap = (list: typeof results.asked.gaps, category: string) =>
    list.find((g) => g.category === category)!;

  it('counts the asked and the responders among them', () => {
    expect(results.asked.people).toBe(asked.size);
    expect(results.asked.responders).toBe(responses.length);
    expect(results.asked.answeredUnasked).toBe(0);
    expect(results.asked.people / world.people.length).toBeCloseTo(askedTotal, 2);
  });

  it("each gap's interval holds the planted gap against the asked", () => {
    const city = gap(results.asked.gaps, 'city');
    expect(city.askedShare).toBeCloseTo(planted.askedCity, 2);
    expect(city.gap!.low).toBeLessThan(planted.responderCity - planted.askedCity);
    expect(city.gap!.high).toBeGreaterThan(planted.responderCity - planted.askedCity);
    const high = gap(results.asked.gaps, 'high');
    expect(high.gap!.low).toBeLessThan(planted.responderHigh - planted.askedHigh);
    expect(high.gap!.high).toBeGreaterThan(planted.responderHigh - planted.askedHigh);
    expect(high.gap!.low).toBeGreaterThan(0);
  });

  it('against the whole base the city looks far more over-represented than against the asked', () => {
    const inBase = results.gaps.find((g) => g.category === 'city')!;
    expect(inBase.baseShare).toBeCloseTo(cityShare, 2);
    expect(inBase.gap!.low).toBeLessThan(planted.responderCity - cityShare);
    expect(inBase.gap!.high).toBeGreaterThan(planted.responderCity - cityShare);
    // Most of the city's excess among the answers came from whom the survey was sent to.
    expect(inBase.gap!.value).toBeGreaterThan(gap(results.asked.gaps, 'city').gap!.value + 0.15);
  });
});
