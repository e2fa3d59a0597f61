// The stats routes' range rules, without a server: defaults, inclusive ends, the span limit,
// and which field an error names.
import { describe, expect, it } from 'vitest';
import { MAX_RANGE_DAYS, resolveRange } from '../../src/stats/index.ts';

const NOW = Date.parse('2026-03-01T23:30:00.000Z');

describe('resolveRange', () => {
  it('ends today (UTC) and counts back the default or given days, both ends inclusive', () => {
    expect(resolveRange({}, NOW, 30)).toMatchObject({ from: '2026-01-31', to: '2026-03-01', days: 30 });
    expect(resolveRange({ days: 1 }, NOW, 30)).toMatchObject({
      from: '2026-03-01',
      to: '2026-03-01',
      startMs: Date.parse('2026-03-01T00:00:00.000Z'),
      endMs: Date.parse('2026-03-02T00:00:00.000Z'),
    });
    expect(resolveRange({ days: 3, to: '2024-03-01' }, NOW, 30)).toMatchObject({ from: '2024-02-28' });
  });

  it('takes from and to as given, up to the limit', () => {
    const year = resolveRange({ from: '2024-01-01', to: '2024-12-31' }, NOW, 30);
    expect(year.days).toBe(MAX_RANGE_DAYS);
    expect(() => resolveRange({ from: '2024-01-01', to: '2025-01-01' }, NOW, 30)).toThrow(
      /^from: the range is 367 days; at most 366/,
    );
  });

  it('names the wrong field', () => {
    expect(() => resolveRange({ from: '2026-02-29' }, NOW, 30)).toThrow(/^from: "2026-02-29" is not a date/);
    expect(() => resolveRange({ to: '2026-13-01' }, NOW, 30)).toThrow(/^to: /);
    expect(() => resolveRange({ days: 0 }, NOW, 30)).toThrow(/^days: must be a whole number from 1 to 366/);
    expect(() => resolveRange({ days: 2, from: '2026-01-01' }, NOW, 30)).toThrow(/^days: give either/);
    expect(() => resolveRange({ from: '2026-03-02', to: '2026-03-01' }, NOW, 30)).toThrow(
      /^from: .* is after to/,
    );
  });
});
