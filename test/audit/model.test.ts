// Beliefs tested against evidence given as sets of people: a share among a base, a difference
// between a group and the rest (both directions, with a margin), and a flip recorded when the
// verdict changes as data arrives.
import { describe, expect, it } from 'vitest';
import {
  type Belief,
  type Claim,
  type Condition,
  conditionKey,
  type Evidence,
  testClaim,
  withResult,
} from '../../src/audit/model.ts';

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const lyon: Condition = { kind: 'trait', trait: 'city', op: 'equals', value: 'Lyon' };
const buyer: Condition = { kind: 'event', event: 'Order Completed' };
const signedUp: Condition = { kind: 'event', event: 'Signed Up' };
const now = new Date('2026-01-01T00:00:00Z');

/** 1,000 signed up (of 1,200 people); 100 of them in Lyon, of whom 80 buy; 450 of the other 900 buy. */
function evidence(): Evidence {
  const everyone = [...ids(1000, 's'), ...ids(200, 'anon')];
  const inLyon = ids(100, 's');
  const buyers = [...ids(80, 's'), ...ids(1000, 's').slice(100, 550)];
  return {
    everyone: new Set(everyone),
    satisfying: new Map([
      [conditionKey(lyon), new Set(inLyon)],
      [conditionKey(buyer), new Set(buyers)],
      [conditionKey(signedUp), new Set(ids(1000, 's'))],
    ]),
  };
}

describe('testing a claim', () => {
  it('a share among a base: 10% of sign-ups in Lyon contradicts "most", supports "at least 5%"', () => {
    const most: Claim = { kind: 'share', among: [signedUp], have: lyon, direction: 'at_least', share: 0.5 };
    const result = testClaim(most, evidence(), now);
    expect(result.people).toBe(1000);
    expect(result.having).toBe(100);
    expect(result.estimate).toBe(0.1);
    expect(result.verdict).toBe('contradicted');
    expect(result.evidence).toContain('100 of 1000');
    expect(testClaim({ ...most, share: 0.05 }, evidence(), now).verdict).toBe('supported');
    expect(testClaim({ ...most, direction: 'at_most', share: 0.05 }, evidence(), now).verdict).toBe(
      'contradicted',
    );
  });

  it('a difference: Lyon buys 80% against 50%, so "more by 20 points" holds and "less" does not', () => {
    const more: Claim = {
      kind: 'difference',
      among: [signedUp],
      group: lyon,
      outcome: buyer,
      direction: 'more',
      margin: 0.2,
    };
    const result = testClaim(more, evidence(), now);
    expect(result.group).toEqual({ people: 100, withOutcome: 80 });
    expect(result.rest).toEqual({ people: 900, withOutcome: 450 });
    expect(result.estimate).toBeCloseTo(0.3, 10);
    expect(result.verdict).toBe('supported');
    expect(testClaim({ ...more, margin: 0.45 }, evidence(), now).verdict).toBe('contradicted');
    const less = testClaim({ ...more, direction: 'less', margin: 0 }, evidence(), now);
    expect(less.estimate).toBeCloseTo(-0.3, 10);
    expect(less.verdict).toBe('contradicted');
  });

  it('a claim about nobody yet is not testable, and says why', () => {
    const result = testClaim(
      {
        kind: 'share',
        among: [lyon, { kind: 'trait', trait: 'city', op: 'equals', value: 'Osaka' }],
        have: buyer,
        direction: 'at_least',
        share: 0.5,
      },
      {
        ...evidence(),
        satisfying: new Map([
          ...evidence().satisfying,
          [conditionKey({ kind: 'trait', trait: 'city', op: 'equals', value: 'Osaka' }), new Set<string>()],
        ]),
      },
      now,
    );
    expect(result.verdict).toBe('not_enough_data');
    expect(result.people).toBe(0);
    expect(result.evidence).toContain('nobody');
  });
});

describe('flips', () => {
  it('records a change of verdict, and nothing when the verdict holds', () => {
    const claim: Claim = { kind: 'share', among: [signedUp], have: lyon, direction: 'at_least', share: 0.08 };
    let belief: Belief = {
      id: 'b1',
      statement: 'Lyon is big for us',
      claim,
      createdAt: now.toISOString(),
      flips: [],
    };
    const small: Evidence = {
      everyone: new Set(ids(20, 's')),
      satisfying: new Map([
        [conditionKey(lyon), new Set(ids(2, 's'))],
        [conditionKey(signedUp), new Set(ids(20, 's'))],
      ]),
    };
    const first = withResult(belief, testClaim(claim, small, now));
    expect(first.flip).toBeUndefined();
    expect(first.belief.result?.verdict).toBe('not_enough_data');
    belief = first.belief;
    const again = withResult(belief, testClaim(claim, small, now));
    expect(again.flip).toBeUndefined();
    const later = withResult(belief, testClaim(claim, evidence(), new Date('2026-02-01T00:00:00Z')));
    expect(later.flip).toEqual({
      at: '2026-02-01T00:00:00.000Z',
      from: 'not_enough_data',
      to: 'supported',
      estimate: 0.1,
      people: 1000,
    });
    expect(later.belief.flips).toHaveLength(1);
  });
});
