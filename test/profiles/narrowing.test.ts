// Which trait filter value the profile list narrows by through the search index: a string of
// three characters or more, the longest; never a number or a boolean (compared as JSON).
import { describe, expect, it } from 'vitest';
import { narrowingText } from '../../src/profiles/search.ts';

describe('narrowingText', () => {
  it('takes the longest string value of three characters or more', () => {
    expect(narrowingText({ plan: 'pro', city: 'Utrecht' })).toBe('Utrecht');
    expect(narrowingText({ plan: 'pro' })).toBe('pro');
  });
  it('never a number, a boolean, null or a short value', () => {
    expect(narrowingText({ seats: '120', vip: 'true', gone: 'null', off: 'false' })).toBeUndefined();
    expect(narrowingText({ plan: 'ab', price: '4.50' })).toBeUndefined();
    expect(narrowingText(undefined)).toBeUndefined();
  });
});
