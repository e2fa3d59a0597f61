// Fatigue caps count calendar periods in the person's zone (a day from local midnight, an ISO
// week from Monday), not rolling windows: a period is one counter row, so the store can
// reserve a slot with one conditional increment, and "2 a day" means what a person reads it as.
import type { Channel } from '../journey/definition.ts';
import { inZone, toInstant } from '../time.ts';
import type { FatigueCap } from './types.ts';

export interface CapBucket {
  cap: FatigueCap;
  /** `email:day:2026-03-02`, `all:week:2026-03-02` (the Monday); the store prefixes the profile id. */
  key: string;
  /** When the period ends and the count starts again. */
  resetsAt: string;
}

export function capBucket(cap: FatigueCap, instant: string, zone: string): CapBucket {
  const start = inZone(instant, zone).startOf(cap.period === 'day' ? 'day' : 'week');
  const next = start.plus(cap.period === 'day' ? { days: 1 } : { weeks: 1 });
  return { cap, key: `${cap.channel}:${cap.period}:${start.toISODate()}`, resetsAt: toInstant(next) };
}

/** The caps that bind a message on `channel`: its channel's and the overall ones. */
export function capBucketsFor(caps: readonly FatigueCap[], channel: Channel, instant: string, zone: string) {
  return caps
    .filter((cap) => cap.channel === channel || cap.channel === 'all')
    .map((cap) => capBucket(cap, instant, zone));
}

/** Every bucket key the runner must read counts for before arbitrating sends on these channels. */
export function capBucketKeys(
  caps: readonly FatigueCap[],
  channels: readonly Channel[],
  instant: string,
  zone: string,
): string[] {
  const keys = new Set<string>();
  for (const channel of channels)
    for (const bucket of capBucketsFor(caps, channel, instant, zone)) keys.add(bucket.key);
  return [...keys];
}

export function describeCap(cap: FatigueCap): string {
  const period = cap.period === 'day' ? 'daily' : 'weekly';
  const what = cap.channel === 'all' ? 'message' : cap.channel;
  return `${period} ${what} cap of ${cap.limit}`;
}
