// The admin preview ("what would this person see"): the same decision /v1/decide serves, with
// each offer's verdict in words, for a stored person, under the saved definitions or a draft;
// nothing is recorded. The pure explanation is checked against `decide` on every combination of
// consent, trait, dates and caps; the route against /v1/decide on a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePlacements, decide, type Offer, type PlacementPerson } from '../../src/conductor/index.ts';
import { evaluateOfferRule } from '../../src/placements/index.ts';
import { explainDecision } from '../../src/placements/preview.ts';
import { eventsNamed, makePerson } from '../channels/support.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const offers: Offer[] = [
  { id: 'thanks', placement: 'receipt', priority: 0, expectedValue: 0, requiresPersonalization: false },
  {
    id: 'home-insurance',
    placement: 'receipt',
    priority: 50,
    expectedValue: 40,
    requiresPersonalization: true,
    capPerPerson: 2,
    rule: { kind: 'trait', trait: 'has_mortgage', test: { op: 'eq', value: true } },
  },
  {
    id: 'summer',
    placement: 'receipt',
    priority: 40,
    expectedValue: 5,
    requiresPersonalization: false,
    validFrom: '2026-07-01T00:00:00Z',
  },
  {
    id: 'spring',
    placement: 'receipt',
    priority: 40,
    expectedValue: 4,
    requiresPersonalization: false,
    validUntil: '2026-05-31T00:00:00Z',
  },
  {
    id: 'card',
    placement: 'receipt',
    priority: 30,
    expectedValue: 10,
    requiresPersonalization: false,
    capPerOffer: 3,
  },
  { id: 'newsletter', placement: 'receipt', priority: 10, expectedValue: 1, requiresPersonalization: false },
];
const compiled = compilePlacements([{ id: 'receipt', defaultOfferId: 'thanks' }], offers, evaluateOfferRule);

function person(consent: 'granted' | 'denied' | 'unknown', mortgage: boolean): PlacementPerson {
  return {
    profile: { profileId: 'p1', traits: { has_mortgage: mortgage }, timeZone: undefined },
    personalization: consent,
  };
}

describe('explainDecision (pure)', () => {
  it('chooses what decide chooses, for every consent, trait and cap combination', () => {
    for (const consent of ['granted', 'denied', 'unknown'] as const)
      for (const mortgage of [true, false])
        for (const cardShown of [0, 3])
          for (const insuranceSeen of [0, 2]) {
            const counts = {
              perOffer: new Map([['card', cardShown]]),
              perPerson: new Map([['home-insurance', insuranceSeen]]),
            };
            const who = person(consent, mortgage);
            const explained = explainDecision(compiled, 'receipt', who, counts, NOW)!;
            const served = decide(compiled, 'receipt', who, counts, NOW);
            expect(explained.result).toEqual(served);
            const chosen = explained.offers.filter((o) => o.verdict === 'chosen').map((o) => o.offerId);
            expect(chosen).toEqual([served.offer!.id]);
          }
  });

  it('says why each offer was not shown', () => {
    const counts = { perOffer: new Map([['card', 3]]), perPerson: new Map<string, number>() };
    const byId = (who: PlacementPerson | undefined) =>
      Object.fromEntries(
        explainDecision(compiled, 'receipt', who, counts, NOW)!.offers.map((o) => [o.offerId, o]),
      );
    const renter = byId(person('granted', false));
    expect(renter['home-insurance']!.verdict).toBe('rule_not_met');
    expect(renter.summer).toMatchObject({ verdict: 'not_started', reason: 'starts 2026-07-01T00:00:00Z' });
    expect(renter.spring!.verdict).toBe('ended');
    expect(renter.card).toMatchObject({
      verdict: 'offer_cap',
      reason: 'shown 3 times today, its cap is 3 a day',
    });
    expect(renter.newsletter!.verdict).toBe('chosen');
    expect(renter.thanks!.verdict).toBe('default');
    const withoutConsent = byId(person('denied', true));
    expect(withoutConsent['home-insurance']!.verdict).toBe('needs_consent');
    const owner = byId(person('granted', true));
    expect(owner['home-insurance']!.verdict).toBe('chosen');
    expect(owner.newsletter).toMatchObject({ verdict: 'passed_over' });
    const stranger = byId(undefined);
    expect(stranger.thanks!.verdict).toBe('chosen');
    expect(stranger.newsletter!.verdict).toBe('unknown_person');
  });

  it('knows no placement it was not given', () => {
    expect(
      explainDecision(compiled, 'nowhere', undefined, { perOffer: new Map(), perPerson: new Map() }, NOW),
    ).toBe(undefined);
  });
});

describe('POST /api/placements/preview on a real server', () => {
  let server: TestServer;
  let ownerId: string;
  let renterId: string;
  const saved = {
    placements: [{ id: 'receipt', defaultOfferId: 'thanks' }],
    offers: offers.filter((o) => !o.validFrom && !o.validUntil && o.id !== 'card'),
  };
  const preview = (body: unknown) => server.adminRequest('POST', '/api/placements/preview', body);

  beforeAll(async () => {
    server = await startTestServer();
    ownerId = await makePerson(server, 'owner-1', { has_mortgage: true }, { personalization: 'granted' });
    renterId = await makePerson(server, 'renter-1', { has_mortgage: false }, { personalization: 'granted' });
    expect((await server.adminRequest('PUT', '/api/placements', saved)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('answers what /v1/decide serves the same person, and records nothing', async () => {
    const answer = await preview({ placement: 'receipt', profileId: ownerId });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      offer: { id: 'home-insurance' },
      code: 'offer',
      personalization: 'granted',
    });
    // The whole answer the editor reads (the response schema decides what is serialised).
    expect(Object.keys(answer.body).sort()).toEqual(
      ['code', 'offer', 'offers', 'personalization', 'placement', 'reason'].sort(),
    );
    expect(Object.keys(answer.body.offer).sort()).toEqual(['content', 'id']);
    expect(answer.body.offers.length).toBeGreaterThan(1);
    for (const offer of answer.body.offers)
      expect(Object.keys(offer).sort()).toEqual(['offerId', 'reason', 'verdict']);
    const served = await fetch(`${server.url}/v1/decide?placement=receipt&userId=owner-1`, {
      headers: { authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}` },
    }).then((r) => r.json() as Promise<{ offer: { id: string } }>);
    expect(served.offer.id).toBe(answer.body.offer.id);
    const views = await eventsNamed(server, renterId, 'Promotion Viewed');
    await preview({ placement: 'receipt', profileId: renterId });
    expect(await eventsNamed(server, renterId, 'Promotion Viewed')).toHaveLength(views.length);
    expect(views).toHaveLength(0);
  });

  it('previews a draft without saving it, and refuses a draft that does not check', async () => {
    const draft = {
      placements: saved.placements,
      offers: saved.offers.map((o) => (o.id === 'newsletter' ? { ...o, priority: 99 } : o)),
    };
    const answer = await preview({ placement: 'receipt', profileId: ownerId, definitions: draft });
    expect(answer.body.offer.id).toBe('newsletter');
    expect((await server.admin('/api/placements')).body).toEqual(saved);
    const broken = { placements: [{ id: 'receipt', defaultOfferId: 'missing' }], offers: saved.offers };
    const refused = await preview({ placement: 'receipt', definitions: broken });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('default offer missing does not exist');
  });

  it('names what it cannot find, and refuses a field it does not know', async () => {
    expect((await preview({ placement: 'nowhere' })).status).toBe(404);
    expect((await preview({ placement: 'receipt', profileId: 'no-such-profile' })).status).toBe(404);
    const unknown = await preview({ placement: 'receipt', userId: 'owner-1' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('userId');
    const stranger = await preview({ placement: 'receipt' });
    expect(stranger.body).toMatchObject({
      offer: { id: 'thanks' },
      code: 'default_unknown_person',
      personalization: null,
    });
  });
});
