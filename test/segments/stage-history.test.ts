// A funnel switched on after an import derives each person's stage changes from the events its
// rules read plus the time the person was first seen (src/segments/live/stage-history.ts). That
// history must be the one the live path would have recorded had the funnel been on all along:
// every event applied and the model evaluated after it, each window's expiry at its instant.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent } from '../../src/segments/incremental/apply.ts';
import { emptyProfileState, type SegmentEvent } from '../../src/segments/incremental/state.ts';
import { ECOMMERCE_FUNNEL, NONPROFIT_FUNNEL } from '../../src/segments/lifecycle.ts';
import { buildModel, evaluateProfile, type LiveModel } from '../../src/segments/live/model.ts';
import {
  appendStageTransition,
  deriveStageHistory,
  type StageTransition,
} from '../../src/segments/live/stage-history.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const NOW = T0 + 800 * DAY;
const model = buildModel([], [ECOMMERCE_FUNNEL, NONPROFIT_FUNNEL]);
/** What the funnels' rules read; a page view is read by none. */
const READ = ['Product Viewed', 'Checkout Started', 'Order Completed', 'Donation Completed', 'Signed Up'];

function event(name: string | null, atMs: number, i: number): SegmentEvent {
  return {
    messageId: `m${String(i).padStart(4, '0')}`,
    type: name === null ? 'page' : 'track',
    name: name ?? 'Home',
    timestamp: new Date(atMs).toISOString(),
    properties: {},
    message: {},
  };
}

/** The live path: every event applied in time order, evaluated after each, expiries between. */
function live(m: LiveModel, events: SegmentEvent[], nowMs: number): StageTransition[] {
  const transitions: StageTransition[] = [];
  let state = emptyProfileState();
  let next: number | null = null;
  const evaluateAt = (atMs: number) => {
    const outcome = evaluateProfile(m, state, new Date(atMs));
    state = outcome.state;
    // Recorded as the processor records them (recordStage): one instant's changes folded.
    for (const stage of outcome.stages) appendStageTransition(transitions, { ...stage, atMs });
    next = outcome.nextCheckAt;
  };
  const expireUpTo = (limit: number) => {
    for (let i = 0; next !== null && next <= limit && i < 100; i++) evaluateAt(next);
  };
  for (const e of events) {
    const atMs = Date.parse(e.timestamp);
    expireUpTo(atMs);
    state = applyEvent(m.plan, state, e);
    evaluateAt(atMs);
  }
  expireUpTo(nowMs);
  return transitions;
}

function derived(events: SegmentEvent[]): StageTransition[] {
  const firstSeen = events.length > 0 ? Date.parse((events[0] as SegmentEvent).timestamp) : null;
  const read = events.filter((e) => e.type !== 'page');
  return deriveStageHistory(model, firstSeen, read, NOW).transitions;
}

describe('stage history derived from a person’s events', () => {
  it('a person whose first event is a product view has no zero-length stay in awareness', () => {
    const events = [event('Product Viewed', T0, 1), event('Order Completed', T0 + 2 * DAY, 2)];
    const lifecycle = derived(events).filter((t) => t.funnelId === 'lifecycle');
    expect(lifecycle).toEqual([
      { funnelId: 'lifecycle', from: null, to: 'interest', atMs: T0 },
      { funnelId: 'lifecycle', from: 'interest', to: 'action', atMs: T0 + 2 * DAY },
    ]);
  });

  it('a page view and a product view at the first instant: interested, never aware for no time', () => {
    const events = [
      event(null, T0, 1),
      event('Product Viewed', T0, 2),
      event('Order Completed', T0 + DAY, 3),
    ];
    const expected = [
      { funnelId: 'lifecycle', from: null, to: 'interest', atMs: T0 },
      { funnelId: 'lifecycle', from: 'interest', to: 'action', atMs: T0 + DAY },
    ];
    expect(live(model, events, NOW).filter((t) => t.funnelId === 'lifecycle')).toEqual(expected);
    expect(derived(events).filter((t) => t.funnelId === 'lifecycle')).toEqual(expected);
  });

  it('a change back at the same instant leaves no change', () => {
    const history: StageTransition[] = [];
    appendStageTransition(history, { funnelId: 'f', from: null, to: 'a', atMs: 1 });
    appendStageTransition(history, { funnelId: 'f', from: 'a', to: 'b', atMs: 2 });
    appendStageTransition(history, { funnelId: 'g', from: null, to: 'x', atMs: 2 });
    appendStageTransition(history, { funnelId: 'f', from: 'b', to: 'a', atMs: 2 });
    expect(history).toEqual([
      { funnelId: 'f', from: null, to: 'a', atMs: 1 },
      { funnelId: 'g', from: null, to: 'x', atMs: 2 },
    ]);
  });

  it('a person first seen on a page is aware from that instant', () => {
    const events = [event(null, T0, 1), event('Product Viewed', T0 + 60_000, 2)];
    expect(derived(events).filter((t) => t.funnelId === 'lifecycle')).toEqual([
      { funnelId: 'lifecycle', from: null, to: 'awareness', atMs: T0 },
      { funnelId: 'lifecycle', from: 'awareness', to: 'interest', atMs: T0 + 60_000 },
    ]);
  });

  it('equals what the live path records, for any history (windows expiring included)', () => {
    const history = fc.array(
      fc.record({
        name: fc.option(fc.constantFrom(...READ), { nil: null }),
        // Whole days and a few identical instants: ties with the first event are the edge.
        day: fc.integer({ min: 0, max: 760 }),
      }),
      { minLength: 1, maxLength: 25 },
    );
    fc.assert(
      fc.property(history, (drawn) => {
        const events = drawn
          .map((d, i) => ({ ...d, i }))
          .sort((a, b) => a.day - b.day || a.i - b.i)
          .map((d, i) => event(d.name, T0 + d.day * DAY, i));
        // Exactly the same stays, funnel by funnel (funnels are independent: at one instant,
        // their order is not part of the history).
        const [fromEvents, recorded] = [derived(events), live(model, events, NOW)];
        for (const funnel of model.funnels) {
          const of = (transitions: StageTransition[]) => transitions.filter((t) => t.funnelId === funnel.id);
          expect(of(fromEvents)).toEqual(of(recorded));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
