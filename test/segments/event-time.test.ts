// The horizon up to which windows may expire (src/segments/live/event-time.ts): the events'
// time while an import streams in, the clock once the log is applied and nothing new came.
import { describe, expect, it } from 'vitest';
import {
  advanceEventClock,
  type EventClock,
  readEventClock,
  recheckHorizon,
} from '../../src/segments/live/event-time.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T08:00:00.000Z');
const QUIET = 2_000;

describe('the event clock', () => {
  it('keeps the latest event time applied, never beyond now, and when it was applied', () => {
    let clock = readEventClock(undefined);
    expect(clock).toEqual({ eventTimeMs: null, appliedAtMs: null, appliedAtNowMs: null });
    clock = advanceEventClock(clock, [NOW - 90 * DAY, NOW - 120 * DAY], NOW, 5_000);
    expect(clock).toEqual({ eventTimeMs: NOW - 90 * DAY, appliedAtMs: 5_000, appliedAtNowMs: NOW });
    // An older event (another person's, or late) does not move it back.
    clock = advanceEventClock(clock, [NOW - 200 * DAY], NOW, 6_000);
    expect(clock.eventTimeMs).toBe(NOW - 90 * DAY);
    // A clock running ahead on a device: capped at now.
    clock = advanceEventClock(clock, [NOW + DAY, Number.NaN], NOW, 7_000);
    expect(clock.eventTimeMs).toBe(NOW);
    // Nothing applied: unchanged, including when it was last applied.
    expect(advanceEventClock(clock, [], NOW, 9_000)).toBe(clock);
    expect(readEventClock(JSON.parse(JSON.stringify(clock)))).toEqual(clock);
  });

  const during: EventClock = { eventTimeMs: NOW - 100 * DAY, appliedAtMs: 10_000, appliedAtNowMs: NOW };

  it('while an import streams in, windows expire only as far as its events have come', () => {
    // Caught up between two batches, or behind: the events' time either way.
    for (const caughtUp of [true, false])
      expect(recheckHorizon(during, { nowMs: NOW, wallMs: 10_500, caughtUp, quietMs: QUIET })).toBe(
        NOW - 100 * DAY,
      );
  });

  it('once the log is applied and nothing new came for the quiet period, by the clock', () => {
    expect(recheckHorizon(during, { nowMs: NOW, wallMs: 12_000, caughtUp: true, quietMs: QUIET })).toBe(NOW);
    // Quiet, but entries are still to be applied: not yet.
    expect(recheckHorizon(during, { nowMs: NOW, wallMs: 60_000, caughtUp: false, quietMs: QUIET })).toBe(
      NOW - 100 * DAY,
    );
    // A test clock moved on by a day is quiet too.
    expect(recheckHorizon(during, { nowMs: NOW + DAY, wallMs: 10_100, caughtUp: true, quietMs: QUIET })).toBe(
      NOW + DAY,
    );
  });

  it('a live stream: its events are recent, so windows expire about when they end', () => {
    const live: EventClock = { eventTimeMs: NOW - 300, appliedAtMs: 10_000, appliedAtNowMs: NOW - 200 };
    expect(recheckHorizon(live, { nowMs: NOW, wallMs: 10_200, caughtUp: false, quietMs: QUIET })).toBe(
      NOW - 300,
    );
  });

  it('an install that never recorded its event time expires windows by the clock', () => {
    const none = readEventClock(undefined);
    expect(recheckHorizon(none, { nowMs: NOW, wallMs: 0, caughtUp: false, quietMs: QUIET })).toBe(NOW);
  });
});
