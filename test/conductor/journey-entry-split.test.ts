import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignSplit,
  canEnter,
  dateTriggerAt,
  instanceIdFor,
  matchesEntryTrigger,
  nextScheduledRun,
  type StepOf,
  splitBucket,
} from '../../src/conductor/index.ts';

const split: StepOf<'split'> = {
  id: 's',
  type: 'split',
  arms: [
    { name: 'a', percent: 45, next: 'x' },
    { name: 'b', percent: 45, next: 'y' },
  ],
  holdout: { percent: 10, next: 'h' },
};

describe('random split with holdout', () => {
  it('gives 10k profiles arms in proportion, within 1.5 points', () => {
    const counts = { a: 0, b: 0, holdout: 0 };
    for (let i = 0; i < 10_000; i += 1) {
      const assignment = assignSplit(split, splitBucket('mortgage', 's', `profile-${i}`));
      counts[assignment.holdout ? 'holdout' : (assignment.arm as 'a' | 'b')] += 1;
    }
    expect(Math.abs(counts.a - 4500)).toBeLessThan(150);
    expect(Math.abs(counts.b - 4500)).toBeLessThan(150);
    expect(Math.abs(counts.holdout - 1000)).toBeLessThan(150);
  });

  it('is sticky: the same profile always lands in the same place', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (journeyId, profileId) => {
        expect(splitBucket(journeyId, 's', profileId)).toBe(splitBucket(journeyId, 's', profileId));
      }),
    );
  });

  it('keeps two splits of one journey independent', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const first = splitBucket('j', 'first', `p${i}`) < 5000;
      const second = splitBucket('j', 'second', `p${i}`) < 5000;
      if (first === second) same += 1;
    }
    expect(Math.abs(same - 5000)).toBeLessThan(200);
  });

  it('maps bucket edges exactly: holdout is [0, 1000), a is [1000, 5500), b the rest', () => {
    expect(assignSplit(split, 999)).toEqual({ holdout: true, next: 'h' });
    expect(assignSplit(split, 1000)).toEqual({ holdout: false, arm: 'a', next: 'x' });
    expect(assignSplit(split, 5499)).toMatchObject({ arm: 'a' });
    expect(assignSplit(split, 5500)).toMatchObject({ arm: 'b' });
    expect(assignSplit(split, 9999)).toMatchObject({ arm: 'b' });
  });
});

describe('entry', () => {
  const event = (name: string, properties: Record<string, unknown> = {}) => ({
    name,
    messageId: 'm',
    timestamp: '2026-03-02T09:00:00Z',
    properties,
  });

  it('matches event triggers with property filters, and segment enter/exit', () => {
    const trigger = {
      kind: 'event' as const,
      event: 'Mortgage Application Submitted',
      where: [{ property: 'amount', test: { op: 'gte' as const, value: 100_000 } }],
    };
    expect(matchesEntryTrigger(trigger, event('Mortgage Application Submitted', { amount: 250_000 }))).toBe(
      true,
    );
    expect(matchesEntryTrigger(trigger, event('Mortgage Application Submitted', { amount: '250000' }))).toBe(
      false,
    );
    expect(matchesEntryTrigger(trigger, event('Mortgage Application Submitted'))).toBe(false);
    const segment = { kind: 'segment' as const, segmentId: 'new-residents', on: 'exited' as const };
    expect(matchesEntryTrigger(segment, event('Segment Exited', { segmentId: 'new-residents' }))).toBe(true);
    expect(matchesEntryTrigger(segment, event('Segment Entered', { segmentId: 'new-residents' }))).toBe(
      false,
    );
  });

  it('applies re-entry rules: once, always, after a cool-down; never twice at a time', () => {
    const now = '2026-03-10T00:00:00Z';
    const past = { active: false, entries: 1, lastExitAt: '2026-03-05T00:00:00Z' };
    expect(canEnter({ mode: 'once' }, { active: false, entries: 0, lastExitAt: undefined }, now)).toEqual({
      enter: true,
    });
    expect(canEnter({ mode: 'once' }, past, now)).toMatchObject({ enter: false });
    expect(canEnter({ mode: 'always' }, past, now)).toEqual({ enter: true });
    expect(canEnter({ mode: 'always' }, { ...past, active: true }, now)).toEqual({
      enter: false,
      reason: 'already in the journey',
    });
    const week = { mode: 'afterCooldown' as const, cooldown: { amount: 7, unit: 'days' as const } };
    expect(canEnter(week, past, now)).toEqual({
      enter: false,
      reason: 'cooling down until 2026-03-12T00:00:00.000Z',
    });
    expect(canEnter(week, past, '2026-03-12T00:00:00Z')).toEqual({ enter: true });
  });

  it('fires a date trait trigger 30 days before renewal at 09:00 in the person’s zone', () => {
    const trigger = { kind: 'dateTrait' as const, trait: 'renewal_date', offsetDays: -30 };
    expect(dateTriggerAt(trigger, { renewal_date: '2026-05-15' }, 'Europe/Paris')).toBe(
      '2026-04-15T07:00:00.000Z',
    );
    expect(dateTriggerAt(trigger, { renewal_date: '2026-05-15T23:30:00-04:00' }, 'Europe/Paris')).toBe(
      '2026-04-16T07:00:00.000Z',
    );
    expect(dateTriggerAt(trigger, { renewal_date: 'soon' }, 'Europe/Paris')).toBeUndefined();
    expect(dateTriggerAt(trigger, {}, 'Europe/Paris')).toBeUndefined();
  });

  it('finds the next run of a broadcast and a weekly schedule', () => {
    const broadcast = { kind: 'broadcast' as const, segmentId: 'all', at: '2026-04-01T08:00:00Z' };
    expect(nextScheduledRun(broadcast, '2026-03-01T00:00:00Z')).toBe('2026-04-01T08:00:00Z');
    expect(nextScheduledRun(broadcast, '2026-04-01T08:00:00Z')).toBeUndefined();
    const mondays = {
      kind: 'schedule' as const,
      segmentId: 'all',
      at: '10:00',
      weekdays: [1],
      timeZone: 'America/New_York',
    };
    // Sunday 2026-03-08 is the US DST change; Monday 10:00 EDT = 14:00 UTC
    expect(nextScheduledRun(mondays, '2026-03-07T12:00:00Z')).toBe('2026-03-09T14:00:00.000Z');
  });

  it('derives the same instance id from the same trigger message', () => {
    expect(instanceIdFor('j', 'p', 'm1')).toBe(instanceIdFor('j', 'p', 'm1'));
    expect(instanceIdFor('j', 'p', 'm1')).not.toBe(instanceIdFor('j', 'p', 'm2'));
  });
});
