// The global holdout in arbitration: a stable share of people gets no marketing, transactional
// messages still go, and the policy document carries the share through save and load.
import { describe, expect, it } from 'vitest';
import {
  type ArbitrationPolicy,
  arbitrate,
  holdoutPosition,
  inGlobalHoldout,
  type PersonSendState,
  type SendCandidate,
  validatePolicy,
} from '../../src/conductor/index.ts';
import { policyDocument } from '../../src/conductor/runtime/policy-store.ts';

const policy: ArbitrationPolicy = {
  caps: [],
  quietHours: undefined,
  defaultTimeZone: 'UTC',
  globalHoldout: { percent: 10 },
};
const person = (profileId: string): PersonSendState => ({
  profileId,
  consent: { marketing: 'granted' },
  suppressions: [],
  timeZone: 'UTC',
  capCounts: {},
});
const candidate = (kind: SendCandidate['kind']): SendCandidate => ({
  id: `c-${kind}`,
  channel: 'email',
  purpose: kind === 'marketing' ? 'marketing' : 'service',
  kind,
  priority: 1,
  expectedValue: 0,
  onCapped: 'drop',
});
const NOW = '2026-03-02T11:00:00.000Z';
const ids = Array.from({ length: 20_000 }, (_, i) => `profile-${i}`);

describe('global holdout', () => {
  it('holds out the configured share of people, the same people every time', () => {
    const held = ids.filter((id) => inGlobalHoldout(id, policy.globalHoldout));
    // 10% of 20,000: a binomial's 4 standard deviations are ±170.
    expect(Math.abs(held.length - 2000)).toBeLessThan(170);
    expect(ids.filter((id) => inGlobalHoldout(id, policy.globalHoldout))).toEqual(held);
    expect(ids.some((id) => inGlobalHoldout(id, undefined))).toBe(false);
    expect(ids.some((id) => inGlobalHoldout(id, { percent: 0 }))).toBe(false);
    // A larger share contains the smaller one: raising it only adds people.
    for (const id of held) expect(inGlobalHoldout(id, { percent: 20 })).toBe(true);
    expect(holdoutPosition('profile-1')).toBe(holdoutPosition('profile-1'));
  });

  it('drops marketing for people in it and sends their transactional messages', () => {
    const heldId = ids.find((id) => inGlobalHoldout(id, policy.globalHoldout)) as string;
    const treatedId = ids.find((id) => !inGlobalHoldout(id, policy.globalHoldout)) as string;
    const [marketing, transactional] = arbitrate(
      [candidate('marketing'), candidate('transactional')],
      person(heldId),
      policy,
      NOW,
    );
    expect(marketing).toMatchObject({ action: 'drop', code: 'global_holdout' });
    expect(marketing?.reason).toContain('global holdout (10%');
    expect(transactional).toMatchObject({ action: 'send', code: 'send' });
    const [treated] = arbitrate([candidate('marketing')], person(treatedId), policy, NOW);
    expect(treated).toMatchObject({ action: 'send' });
    // Without a holdout in the policy the same person gets marketing.
    const [without] = arbitrate(
      [candidate('marketing')],
      person(heldId),
      { ...policy, globalHoldout: undefined },
      NOW,
    );
    expect(without).toMatchObject({ action: 'send' });
  });

  it('is part of the policy document, refused above 50% naming the field', () => {
    const valid = validatePolicy({ caps: [], defaultTimeZone: 'UTC', globalHoldout: { percent: 5 } });
    expect(valid.ok && valid.policy.globalHoldout).toEqual({ percent: 5 });
    expect(valid.ok && policyDocument(valid.policy)).toMatchObject({ globalHoldout: { percent: 5 } });
    const tooMany = validatePolicy({ caps: [], defaultTimeZone: 'UTC', globalHoldout: { percent: 60 } });
    expect(tooMany.ok).toBe(false);
    expect(!tooMany.ok && tooMany.issues[0]?.field).toBe('/globalHoldout/percent');
  });
});
