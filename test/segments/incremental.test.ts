// The incremental evaluator on hand-written histories: window exits without a new event,
// the bounded state, merges and explain.
import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  checkRuleText,
  emptyProfileState,
  evaluateRule,
  explainMembership,
  factKey,
  formatIssues,
  mergeStates,
  nextRecheckAt,
  type ProfileSegmentState,
  planTracking,
  type SegmentEvent,
  type SegmentRule,
} from '../../src/segments/index.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const at = (days: number) => new Date(T0 + days * DAY);

function rule(text: string): SegmentRule {
  const result = checkRuleText(text);
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.value;
}

let seq = 0;
function track(name: string, day: number, properties: Record<string, unknown> = {}): SegmentEvent {
  seq += 1;
  return {
    messageId: `m${seq}`,
    type: 'track',
    name,
    timestamp: at(day).toISOString(),
    properties,
    message: {},
  };
}

function identify(day: number, traits: Record<string, unknown>, messageId = `m${++seq}`): SegmentEvent {
  return {
    messageId,
    type: 'identify',
    name: null,
    timestamp: at(day).toISOString(),
    properties: {},
    message: { traits },
  };
}

function stateAfter(rules: SegmentRule[], events: SegmentEvent[]): ProfileSegmentState {
  const plan = planTracking(rules);
  return events.reduce((state, event) => applyEvent(plan, state, event), emptyProfileState());
}

describe('incremental evaluator', () => {
  it('lets a member of "purchased in the last 30 days" leave on day 31 without a new event', () => {
    const purchased = rule('performed "Order Completed" in last 30 days');
    const state = stateAfter([purchased], [track('Order Completed', 0.5)]);
    expect(evaluateRule(purchased, state, at(1))).toBe(true);
    const recheck = nextRecheckAt(purchased, state, at(1));
    expect(recheck).toEqual(at(30.5));
    expect(evaluateRule(purchased, state, new Date(at(30.5).getTime() - 1))).toBe(true);
    expect(evaluateRule(purchased, state, at(30.5))).toBe(false);
    expect(nextRecheckAt(purchased, state, at(30.5))).toBeNull();
  });

  it('"bought a printer in the last 30 days and no ink" changes with each event and with time', () => {
    const printerNoInk = rule(
      'performed "Order Completed" where category = "printer" in last 30 days and not performed "Order Completed" where category = "ink" in last 30 days',
    );
    const plan = planTracking([printerNoInk]);
    let state = applyEvent(plan, emptyProfileState(), track('Order Completed', 0, { category: 'printer' }));
    expect(evaluateRule(printerNoInk, state, at(1))).toBe(true);
    state = applyEvent(plan, state, track('Order Completed', 2, { category: 'ink' }));
    expect(evaluateRule(printerNoInk, state, at(3))).toBe(false);
    // The printer leaves the window on day 30, the ink on day 32: out all along.
    expect(nextRecheckAt(printerNoInk, state, at(3))).toEqual(at(30));
    expect(evaluateRule(printerNoInk, state, at(31))).toBe(false);
  });

  it('keeps count+1 timestamps however many events arrive', () => {
    const twice = rule('performed "Page Viewed" at least 2 times in last 1 day');
    const events = Array.from({ length: 500 }, (_, i) => track('Page Viewed', i / 100));
    const state = stateAfter([twice], events);
    const [tracker] = Object.values(state.trackers);
    expect(tracker).toEqual({ kind: 'recent', times: expect.any(Array) });
    expect(tracker?.kind === 'recent' && tracker.times.length).toBe(3);
    expect(evaluateRule(twice, state, at(4.99))).toBe(true);
    expect(evaluateRule(twice, state, at(5.985))).toBe(false);
  });

  it('"spent over 200 in 90 days" sums inside the window and drops what left it', () => {
    const spent = rule('sum of revenue in "Order Completed" in last 90 days > 200');
    const state = stateAfter(
      [spent],
      [
        track('Order Completed', 0, { revenue: 150 }),
        track('Order Completed', 50, { revenue: 60 }),
        track('Order Completed', 100, { revenue: 10 }),
      ],
    );
    // Day 0's 150 left the window when day 100's event came: only two pairs are kept.
    expect(Object.values(state.trackers)[0]).toEqual({
      kind: 'pairs',
      pairs: [
        [at(50).getTime(), 60],
        [at(100).getTime(), 10],
      ],
    });
    expect(evaluateRule(spent, state, at(100))).toBe(false);
    expect(
      evaluateRule(
        spent,
        stateAfter(
          [spent],
          [track('Order Completed', 0, { revenue: 150 }), track('Order Completed', 50, { revenue: 60 })],
        ),
        at(60),
      ),
    ).toBe(true);
  });

  it('takes the latest trait by timestamp then messageId, whatever the arrival order', () => {
    const pro = rule('trait plan = "pro"');
    const late = identify(5, { plan: 'pro' }, 'b');
    const early = identify(3, { plan: 'free' }, 'z');
    const tie = identify(5, { plan: 'team' }, 'a');
    for (const order of [
      [late, early, tie],
      [tie, early, late],
      [early, tie, late],
    ]) {
      expect(evaluateRule(pro, stateAfter([pro], order), at(6))).toBe(true);
    }
  });

  it('reads consent, stage, memberships and computed properties from the facts', () => {
    const state: ProfileSegmentState = {
      ...emptyProfileState(),
      facts: {
        [factKey.consent('email')]: 'granted',
        [factKey.stage()]: 'action',
        [factKey.segment('vip')]: true,
        [factKey.computed('ltv')]: 700,
      },
    };
    for (const text of [
      'consent email = granted',
      'consent sms = unknown',
      'stage in (awareness, action)',
      'in segment "vip"',
      'computed ltv > 500',
    ]) {
      expect(evaluateRule(rule(text), state, at(0))).toBe(true);
    }
    expect(
      evaluateRule(rule('consent email = denied or in segment "other" or computed ltv > 700'), state, at(0)),
    ).toBe(false);
  });

  it('merges two profiles as if every event had gone to the survivor', () => {
    const rules = [
      rule(
        'performed "Order Completed" at least 2 times in last 30 days and max of revenue in "Order Completed" in last 30 days >= 80',
      ),
    ];
    const a = [track('Order Completed', 1, { revenue: 80 })];
    const b = [track('Order Completed', 2, { revenue: 20 }), identify(0, { plan: 'pro' })];
    const plan = planTracking(rules);
    const merged = mergeStates(plan, stateAfter(rules, a), stateAfter(rules, b));
    expect(merged).toEqual({ ...stateAfter(rules, [...a, ...b]), facts: {} });
    expect(evaluateRule(rules[0] as SegmentRule, merged, at(3))).toBe(true);
  });

  it('explains which conditions held, with the values', () => {
    const vip = rule('trait plan = "pro" and sum of revenue in "Order Completed" in last 90 days > 200');
    const state = stateAfter(
      [vip],
      [
        identify(0, { plan: 'pro' }),
        track('Order Completed', 1, { revenue: 120 }),
        track('Order Completed', 2, { revenue: 100 }),
      ],
    );
    expect(explainMembership(vip, state, at(3))).toEqual({
      path: '',
      rule: 'trait plan = "pro" and sum of revenue in "Order Completed" in last 90 days > 200',
      holds: true,
      children: [
        { path: '/rules/0', rule: 'trait plan = "pro"', holds: true, observed: { value: 'pro' } },
        {
          path: '/rules/1',
          rule: 'sum of revenue in "Order Completed" in last 90 days > 200',
          holds: true,
          observed: { sum: 220 },
        },
      ],
    });
  });
});
