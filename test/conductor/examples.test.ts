import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type AdvanceResult,
  advanceJourney,
  assignSplit,
  type JourneyAction,
  type JourneyDefinition,
  newJourneyInstance,
  type ProfileFacts,
  renderTemplate,
  splitBucket,
  validateJourney,
  validatePolicy,
} from '../../src/conductor/index.ts';

const read = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../examples/journeys/${name}`, import.meta.url), 'utf8'));

function load(name: string, traits?: string[]): JourneyDefinition {
  const result = validateJourney(read(name), traits ? { traits } : {});
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.definition;
}

const sends = (result: AdvanceResult) =>
  result.actions.filter((a): a is Extract<JourneyAction, { type: 'send' }> => a.type === 'send');

describe('example journeys', () => {
  it('the mortgage cross-sell passes validation with a trait catalogue', () => {
    expect(load('mortgage-cross-sell.json', ['first_name', 'last_name']).steps).toHaveLength(8);
  });

  it('the city on-ramp passes validation with a trait catalogue, and its policy too', () => {
    expect(load('city-new-resident.json', ['first_name', 'waste_day', 'library_card']).id).toBe(
      'city-new-resident',
    );
    expect(validatePolicy(read('city-arbitration-policy.json'))).toMatchObject({ ok: true });
  });

  it('would refuse the mortgage template if first_name were not a known trait', () => {
    const result = validateJourney(read('mortgage-cross-sell.json'), { traits: ['last_name'] });
    expect(result.ok).toBe(false);
  });

  it('runs the mortgage journey: wait 2 days, no insurance, offer email (or holdout), task after 5 days', () => {
    const definition = load('mortgage-cross-sell.json');
    const profile: ProfileFacts = {
      profileId: 'p-42',
      traits: { first_name: 'Ada' },
      timeZone: 'Europe/London',
    };
    const boughtInsurance = () => false;
    let result = advanceJourney(
      definition,
      newJourneyInstance(definition, { instanceId: 'i', profileId: 'p-42', now: '2026-03-02T09:00:00Z' }),
      { kind: 'entered', now: '2026-03-02T09:00:00Z', profile },
      boughtInsurance,
    );
    expect(result.instance.waitingUntil).toBe('2026-03-04T09:00:00.000Z');
    result = advanceJourney(
      definition,
      result.instance,
      { kind: 'timer', now: '2026-03-04T09:00:00Z', profile, token: result.instance.timerToken! },
      boughtInsurance,
    );
    expect(result.instance.arms).toEqual({ 'holdout-split': 'offer' }); // p-42's sticky bucket
    const [offer] = sends(result);
    expect(offer).toMatchObject({ channel: 'email', offerId: 'home-insurance-10', priority: 200 });
    expect(
      renderTemplate(offer!.template.subject!, {
        traits: profile.traits,
        offer: { discount: '10%', url: 'x' },
      }),
    ).toBe('Ada, protect your new home');
    expect(renderTemplate(offer!.template.subject!, { traits: {} })).toBe('Hello, protect your new home');
  });

  it('keeps the mortgage holdout uncontacted but in the journey long enough to convert', () => {
    const definition = load('mortgage-cross-sell.json');
    const split = definition.steps.find((step) => step.id === 'holdout-split')!;
    if (split.type !== 'split') throw new Error('expected the split step');
    const profileId = Array.from({ length: 200 }, (_, i) => `p-${i}`).find(
      (id) => assignSplit(split, splitBucket(definition.id, split.id, id)).holdout,
    )!;
    const profile: ProfileFacts = { profileId, traits: {}, timeZone: undefined };
    const entered = advanceJourney(
      definition,
      newJourneyInstance(definition, { instanceId: 'i', profileId, now: '2026-03-02T09:00:00Z' }),
      { kind: 'entered', now: '2026-03-02T09:00:00Z', profile },
      () => false,
    );
    const woke = advanceJourney(
      definition,
      entered.instance,
      { kind: 'timer', now: '2026-03-04T09:00:00Z', profile, token: entered.instance.timerToken! },
      () => false,
    );
    expect(sends(woke)).toEqual([]);
    expect(woke.instance).toMatchObject({ holdout: true, stepId: 'holdout-wait', status: 'waiting' });
  });
});
