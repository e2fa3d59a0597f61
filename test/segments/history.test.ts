// The pure part of membership over time: the UTC days of a window, and sizes counted back
// from the current size through each day's entries and exits.
import { describe, expect, it } from 'vitest';
import { dailySizes, lastDays } from '../../src/segments/live/history.ts';

const change = (day: string, entered: number, exited: number) => ({ segmentId: 's', day, entered, exited });

describe('membership over time', () => {
  it('lists the UTC days of the window, today last, across a month end', () => {
    expect(lastDays(new Date('2026-03-02T23:30:00.000+05:00'), 3)).toEqual([
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });

  it('counts sizes back from now, filling days without changes', () => {
    const days = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'];
    expect(dailySizes(7, [change('2026-03-02', 4, 1), change('2026-03-04', 3, 0)], days)).toEqual([
      { day: '2026-03-01', size: 1, joined: 0, left: 0 },
      { day: '2026-03-02', size: 4, joined: 4, left: 1 },
      { day: '2026-03-03', size: 4, joined: 0, left: 0 },
      { day: '2026-03-04', size: 7, joined: 3, left: 0 },
    ]);
  });

  it('takes back changes dated after the window so the sizes agree with the changes', () => {
    const days = ['2026-03-01', '2026-03-02'];
    expect(dailySizes(3, [change('2026-03-02', 1, 0), change('2026-03-05', 2, 0)], days)).toEqual([
      { day: '2026-03-01', size: 0, joined: 0, left: 0 },
      { day: '2026-03-02', size: 1, joined: 1, left: 0 },
    ]);
  });
});
