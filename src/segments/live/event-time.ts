// How far the processor's event time has come: the horizon up to which a re-check (a window's
// expiry) may be evaluated. Due by the wall clock alone, a backfill evaluated a window that
// expired long ago (first order + 90 days) before the person's later events, still further
// along in the log, were applied; they then arrived "late" and every stage change they made
// was stamped at the expiry. An expiry is evaluated instead once the events applied have
// passed it (the watermark: the latest event time applied, never beyond now), or, when
// nothing new has arrived for a quiet period and the log is applied to its head, by the
// clock (a quiet live system still sees its windows expire on time). As stream processors
// treat an idle source. Pure; docs/segments.md, "Windows during an import".

/** Kept in the segment store's meta, written with the offset. */
export interface EventClock {
  /** The latest event time applied (capped at the processor's now when applied). */
  eventTimeMs: number | null;
  /** Wall-clock time (ms) at which the processor last applied an event from outside. */
  appliedAtMs: number | null;
  /** The processor's own time then (the same as appliedAtMs unless a test moves time). */
  appliedAtNowMs: number | null;
}

export const EVENT_CLOCK_META = 'event-clock';

/** Default quiet period: an import sends its batches closer together than this. */
export const DEFAULT_QUIET_MS = 2_000;

export function readEventClock(value: unknown): EventClock {
  const stored = (value ?? {}) as Partial<EventClock>;
  return {
    eventTimeMs: typeof stored.eventTimeMs === 'number' ? stored.eventTimeMs : null,
    appliedAtMs: typeof stored.appliedAtMs === 'number' ? stored.appliedAtMs : null,
    appliedAtNowMs: typeof stored.appliedAtNowMs === 'number' ? stored.appliedAtNowMs : null,
  };
}

/** The clock after applying events at these times, at processor time `nowMs`, wall `wallMs`. */
export function advanceEventClock(
  clock: EventClock,
  eventTimesMs: readonly number[],
  nowMs: number,
  wallMs: number,
): EventClock {
  if (eventTimesMs.length === 0) return clock;
  let latest = clock.eventTimeMs ?? Number.NEGATIVE_INFINITY;
  for (const at of eventTimesMs) if (Number.isFinite(at) && at > latest) latest = at;
  return {
    eventTimeMs: Number.isFinite(latest) ? Math.min(latest, nowMs) : clock.eventTimeMs,
    appliedAtMs: wallMs,
    appliedAtNowMs: nowMs,
  };
}

export interface HorizonInput {
  /** The processor's now (a test clock in tests). */
  nowMs: number;
  /** The wall clock, for the quiet period (quiet by either clock: tests move `nowMs` alone). */
  wallMs: number;
  /** The processor has applied the log up to its head. */
  caughtUp: boolean;
  quietMs: number;
}

/** Re-checks due at or before this instant may be evaluated now. */
export function recheckHorizon(clock: EventClock, input: HorizonInput): number {
  const quiet =
    clock.appliedAtMs === null ||
    input.wallMs - clock.appliedAtMs >= input.quietMs ||
    (clock.appliedAtNowMs !== null && input.nowMs - clock.appliedAtNowMs >= input.quietMs);
  if (input.caughtUp && quiet) return input.nowMs;
  // An install that never recorded its event time (older data): the clock, as before.
  if (clock.eventTimeMs === null) return input.nowMs;
  return Math.min(input.nowMs, clock.eventTimeMs);
}
