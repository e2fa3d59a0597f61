// Basket files: names kept exactly, bad lines repaired the way arules repairs them and reported.
import { describe, expect, it } from 'vitest';
import { describeIssues, parseBaskets } from '../../src/recommendations/index.ts';

describe('parseBaskets', () => {
  it('keeps names exactly, trailing spaces included, and drops a carriage return', () => {
    const read = parseBaskets('cream cheese ,yogurt\r\nwhole milk\n');
    expect(read.baskets).toEqual([['cream cheese ', 'yogurt'], ['whole milk']]);
    expect(describeIssues(read.issues)).toEqual([]);
  });

  it('skips empty lines, counts a repeated item once, drops empty items, and says where', () => {
    const read = parseBaskets('a,b,a\n\n   \nc,,d,\n,\n');
    expect(read.baskets).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(read.issues).toEqual({
      emptyLines: [2, 3],
      duplicates: [{ line: 1, items: ['a'] }],
      emptyItems: [4, 5],
    });
    expect(describeIssues(read.issues)).toEqual([
      'skipped 2 empty line(s): 2, 3',
      '1 basket(s) held an item more than once, counted once (line 1: "a"); lines 1',
      'dropped empty items (",," or a trailing comma) on 2 line(s): 4, 5',
    ]);
  });
});
